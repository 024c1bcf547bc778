// One XMPP client session over WebSocket (RFC 7395) against a benchmark peer such as
// ejabberd: stream opening, in-band registration (XEP-0077), SASL PLAIN, resource binding,
// the session request when the server requires it, stream management (XEP-0198) and
// initial presence. After login the caller gets every stanza through on_stanza().
//
// Stream management, when enabled at login: the session counts the stanzas it sends
// (send_stanza returns each one's number, 1 for the first after <enable/>), asks for an
// acknowledgement with request_ack(), and passes the server's <a h='N'/> to on_ack: stanzas
// 1..N have been handled by the server. It answers the server's <r/> itself with the count
// of stanzas received.
//
// Threading: like the WsConn it owns, a session belongs to one Shard and is used only on
// its thread; callbacks run there.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "net.h"
#include "xmpp_stanza.h"

namespace bench {

struct XmppEndpoint {
  std::string domain;       // the XMPP domain (the part after '@' of every account)
  std::string path = "/ws";  // WebSocket request target
};

struct XmppLogin {
  std::string user;      // local part
  std::string password;
  bool stream_management = false;
  bool presence = true;  // send initial presence (needed to receive messages sent to the bare JID)
};

class XmppSession {
 public:
  using OnStanza = std::function<void(const Stanza&)>;
  using OnAck = std::function<void(uint64_t h)>;
  using OnClose = std::function<void(const std::string& why)>;

  XmppSession(asio::any_io_executor ex, Target target, XmppEndpoint endpoint);
  ~XmppSession();  // detaches from the connection, which may outlive it
  XmppSession(const XmppSession&) = delete;
  XmppSession& operator=(const XmppSession&) = delete;

  // Connects and logs in; every step must answer within `timeout`. On error the
  // connection is closed.
  asio::awaitable<parley::Status> login(const XmppLogin& login, std::chrono::nanoseconds timeout);
  // Connects, opens a stream and registers each account of `accounts` (user, password) on
  // it in turn, then closes. Stops at the first failure.
  asio::awaitable<parley::Status> register_accounts(const std::vector<XmppLogin>& accounts,
                                                         std::chrono::nanoseconds timeout);

  // Delivers every stanza received from now on, starting with any that arrived during
  // login. on_close runs once when the connection ends (`why` empty after close()).
  void on_stanza(OnStanza fn, OnClose on_close);
  void on_ack(OnAck fn) { on_ack_ = std::move(fn); }

  // Sends one stanza; returns its stream-management number (0 without stream management).
  uint64_t send_stanza(std::string stanza);
  void request_ack();
  // Acknowledges what was received (with stream management), closes the stream and the
  // WebSocket.
  void close();
  bool open() const { return conn_ && conn_->open(); }
  std::size_t queued() const { return conn_ ? conn_->queued() : 0; }
  const std::string& jid() const { return jid_; }  // full JID after login

 private:
  void on_frame(std::string_view frame);
  asio::awaitable<parley::Status> connect(std::chrono::nanoseconds timeout);
  asio::awaitable<parley::Result<std::string>> next(std::chrono::nanoseconds timeout);
  asio::awaitable<parley::Status> open_stream(std::chrono::nanoseconds timeout, std::string* features);

  asio::any_io_executor ex_;
  Target target_;
  XmppEndpoint endpoint_;
  std::shared_ptr<WsConn> conn_;
  std::unique_ptr<asio::steady_timer> wake_;
  std::deque<std::string> inbox_;  // frames before on_stanza(); at most a login's worth
  std::string closed_why_;
  bool closed_ = false;
  OnStanza on_stanza_;
  OnAck on_ack_;
  OnClose on_close_;
  std::string jid_;
  bool sm_ = false;
  uint64_t sent_ = 0;      // stanzas sent since <enable/>
  uint64_t received_ = 0;  // stanzas received since <enabled/>
};

}  // namespace bench
