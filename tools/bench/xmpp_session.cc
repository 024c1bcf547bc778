#include "xmpp_session.h"

namespace bench {

namespace {

constexpr std::string_view kFraming = "urn:ietf:params:xml:ns:xmpp-framing";
constexpr std::string_view kSm = "urn:xmpp:sm:3";

std::string open_frame(const std::string& domain) {
  return "<open xmlns='" + std::string(kFraming) + "' to='" + domain + "' version='1.0'/>";
}

bool counted(std::string_view name) { return name == "message" || name == "presence" || name == "iq"; }

// The first part of a frame for error messages.
std::string quote(std::string_view f) { return std::string(f.substr(0, 600)); }

}  // namespace

XmppSession::XmppSession(asio::any_io_executor ex, Target target, XmppEndpoint endpoint)
    : ex_(ex), target_(std::move(target)), endpoint_(std::move(endpoint)),
      wake_(std::make_unique<asio::steady_timer>(ex)) {}

XmppSession::~XmppSession() {
  if (conn_) conn_->detach();
}

asio::awaitable<parley::Status> XmppSession::connect(std::chrono::nanoseconds timeout) {
  conn_ = WsConn::make_plain(ex_, target_, WsEndpoint{endpoint_.path, "xmpp"});
  auto r = co_await conn_->connect("", std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (!r) co_return r.error();
  conn_->start([this](std::string_view f) { on_frame(f); },
               [this](const std::string& why) {
                 closed_ = true;
                 closed_why_ = why.empty() ? "closed" : why;
                 wake_->cancel();
                 if (on_close_) {
                   auto cb = std::move(on_close_);
                   cb(why);
                 }
               });
  co_return parley::Status();
}

void XmppSession::on_frame(std::string_view f) {
  Stanza s = scan_stanza(f);
  if (sm_) {
    if (counted(s.name)) ++received_;
    if (s.name == "r") {
      conn_->send("<a xmlns='" + std::string(kSm) + "' h='" + std::to_string(received_) + "'/>");
      return;
    }
    if (s.name == "a" && on_ack_) {
      uint64_t h = parse_decimal(s.attr("h"));
      if (h != UINT64_MAX) on_ack_(h);
      return;
    }
  }
  if (s.name == "enabled") received_ = 0, sm_ = true;
  if (on_stanza_) {
    on_stanza_(s);
  } else {
    inbox_.emplace_back(f);
    wake_->cancel();
  }
}

asio::awaitable<parley::Result<std::string>> XmppSession::next(std::chrono::nanoseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (inbox_.empty()) {
    if (closed_) co_return make_error("connection closed: " + closed_why_);
    if (std::chrono::steady_clock::now() >= deadline) co_return make_error("no answer in time");
    wake_->expires_at(deadline);
    co_await wake_->async_wait(kAwait);
  }
  std::string f = std::move(inbox_.front());
  inbox_.pop_front();
  co_return f;
}

// Sends <open/>, expects the server's <open/> and <stream:features>; `features` gets the
// latter.
asio::awaitable<parley::Status> XmppSession::open_stream(std::chrono::nanoseconds timeout, std::string* features) {
  conn_->send(open_frame(endpoint_.domain));
  for (bool opened = false;;) {
    auto f = co_await next(timeout);
    if (!f) co_return f.error();
    Stanza s = scan_stanza(*f);
    if (s.name == "open") {
      opened = true;
    } else if (opened && (s.name == "stream:features" || s.name == "features")) {
      *features = std::move(*f);
      co_return parley::Status();
    } else {
      co_return make_error("opening the stream: unexpected " + quote(*f));
    }
  }
}

asio::awaitable<parley::Status> XmppSession::login(const XmppLogin& login, std::chrono::nanoseconds timeout) {
  auto fail = [this](std::string what) -> parley::Status {
    if (conn_) conn_->close();
    return make_error(std::move(what));
  };
  if (auto c = co_await connect(timeout); !c) co_return c.error();
  std::string features;
  if (auto o = co_await open_stream(timeout, &features); !o) co_return fail(o.error().message);
  if (features.find(">PLAIN<") == std::string::npos) co_return fail("the server does not offer SASL PLAIN");
  std::string plain;
  plain += '\0';
  plain += login.user;
  plain += '\0';
  plain += login.password;
  conn_->send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + base64(plain) + "</auth>");
  auto a = co_await next(timeout);
  if (!a) co_return fail("authenticating: " + a.error().message);
  if (scan_stanza(*a).name != "success") co_return fail("authenticating " + login.user + ": " + quote(*a));

  if (auto o = co_await open_stream(timeout, &features); !o) co_return fail(o.error().message);
  conn_->send("<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
              "<resource>bench</resource></bind></iq>");
  auto b = co_await next(timeout);
  if (!b) co_return fail("binding: " + b.error().message);
  Stanza bound = scan_stanza(*b);
  if (bound.name != "iq" || bound.attr("type") != "result") co_return fail("binding: " + quote(*b));
  jid_ = std::string(bound.child_text("jid"));
  // RFC 6121 made the session request optional; servers that still require it say so.
  auto sess = features.find("urn:ietf:params:xml:ns:xmpp-session");
  if (sess != std::string::npos && features.find("<optional", sess) == std::string::npos) {
    conn_->send("<iq xmlns='jabber:client' type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    auto r = co_await next(timeout);
    if (!r) co_return fail("session: " + r.error().message);
    if (scan_stanza(*r).attr("type") != "result") co_return fail("session: " + quote(*r));
  }
  if (login.stream_management) {
    if (features.find(kSm) == std::string::npos) co_return fail("the server does not offer stream management");
    conn_->send("<enable xmlns='" + std::string(kSm) + "'/>");
    auto e = co_await next(timeout);
    if (!e) co_return fail("enabling stream management: " + e.error().message);
    if (scan_stanza(*e).name != "enabled") co_return fail("enabling stream management: " + quote(*e));
  }
  if (login.presence) send_stanza("<presence xmlns='jabber:client'/>");
  co_return parley::Status();
}

asio::awaitable<parley::Status> XmppSession::register_accounts(const std::vector<XmppLogin>& accounts,
                                                                    std::chrono::nanoseconds timeout) {
  if (auto c = co_await connect(timeout); !c) co_return c.error();
  std::string features;
  auto result = co_await open_stream(timeout, &features);
  for (std::size_t i = 0; result && i < accounts.size(); ++i) {
    const XmppLogin& a = accounts[i];
    std::string id = "reg" + std::to_string(i);
    conn_->send("<iq xmlns='jabber:client' type='set' id='" + id + "'><query xmlns='jabber:iq:register'><username>" +
                a.user + "</username><password>" + a.password + "</password></query></iq>");
    auto r = co_await next(timeout);
    if (!r) {
      result = make_error("registering " + a.user + ": " + r.error().message);
      break;
    }
    Stanza s = scan_stanza(*r);
    if (s.name != "iq" || s.attr("id") != id || s.attr("type") != "result")
      result = make_error("registering " + a.user + ": " + quote(*r));
  }
  close();
  co_return result;
}

void XmppSession::on_stanza(OnStanza fn, OnClose on_close) {
  on_stanza_ = std::move(fn);
  while (!inbox_.empty() && on_stanza_) {
    std::string f = std::move(inbox_.front());
    inbox_.pop_front();
    on_stanza_(scan_stanza(f));
  }
  if (closed_) {
    if (on_close) on_close(closed_why_ == "closed" ? std::string() : closed_why_);
  } else {
    on_close_ = std::move(on_close);
  }
}

uint64_t XmppSession::send_stanza(std::string stanza) {
  conn_->send(std::move(stanza));
  return sm_ ? ++sent_ : 0;
}

void XmppSession::request_ack() {
  if (sm_) conn_->send("<r xmlns='" + std::string(kSm) + "'/>");
}

void XmppSession::close() {
  if (!conn_ || !conn_->open()) return;
  if (sm_) conn_->send("<a xmlns='" + std::string(kSm) + "' h='" + std::to_string(received_) + "'/>");
  conn_->send("<close xmlns='" + std::string(kFraming) + "'/>");
  conn_->close();
}

}  // namespace bench
