// The client's logic, run on the core's network thread: it answers the app's requests
// (docs/client.md), keeps the WebSocket up (reconnecting with Backoff), syncs the store with
// the server, drains the outbox and turns server events into updates for the app.
//
// Threading: every method runs on the io_context's one thread; nothing here is thread-safe.
// Output goes to the UpdateQueue, which is. One feature per file: engine.cc (dispatch,
// accounts, chats, sending, history), engine_local.cc (answered from the store),
// engine_actions.cc (edits, typing, presence), engine_people.cc (contacts, blocking),
// engine_photos.cc (uploads, thumbnail cache), engine_groups.cc (group administration),
// engine_connection.cc, engine_sync.cc, engine_outbox.cc, views.cc (JSON of store rows).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "client/backoff.h"
#include "client/store.h"
#include "client/transport.h"
#include "client/update_queue.h"

namespace parley::client {

// A sent message is given up ("failed", error "too_many_attempts") after this many
// transmissions without an acknowledgement.
constexpr int kMaxSendAttempts = 8;

class Engine {
 public:
  Engine(boost::asio::io_context& io, UpdateQueue& out);
  ~Engine();

  // One request of the JSON API (a JSON object text). Always produces exactly one answer
  // carrying the request's "id" (or an error answer), now or later.
  void handle(const std::string& request_text);
  // Closes the connection; no reconnect is scheduled afterwards.
  void shutdown();

 private:
  using Answer = std::function<void(boost::json::object)>;
  using FrameDone = std::function<void(const boost::json::object& frame)>;  // ack or error

  // --- engine.cc: requests
  void dispatch(const std::string& type, const boost::json::object& req, const Answer& answer);
  void start(const boost::json::object& req, const Answer& answer);
  void register_account(const boost::json::object& req, const Answer& answer);
  void login(const boost::json::object& req, const Answer& answer);
  void authenticate(bool is_register, const boost::json::object& req, const Answer& answer);
  void logout(const boost::json::object& req, const Answer& answer);
  void open_direct(const boost::json::object& req, const Answer& answer);
  void create_group(const boost::json::object& req, const Answer& answer);
  void leave_group(const boost::json::object& req, const Answer& answer);
  void send_message(const boost::json::object& req, const Answer& answer);
  void get_history(const boost::json::object& req, const Answer& answer);
  void mark_read(const boost::json::object& req, const Answer& answer);
  // --- engine_local.cc: answered from the store
  void get_chats(const boost::json::object& req, const Answer& answer);
  void get_chat(const boost::json::object& req, const Answer& answer);
  void search(const boost::json::object& req, const Answer& answer);
  void retry_message(const boost::json::object& req, const Answer& answer);
  void network_changed(const boost::json::object& req, const Answer& answer);
  void get_state(const boost::json::object& req, const Answer& answer);

  // --- engine_actions.cc: online-only actions
  void edit_message(const boost::json::object& req, const Answer& answer);
  void delete_message(const boost::json::object& req, const Answer& answer);
  void send_typing(const boost::json::object& req, const Answer& answer);
  void subscribe_presence(const boost::json::object& req, const Answer& answer);

  // --- engine_photos.cc
  void upload_photo(const boost::json::object& req, const Answer& answer);
  void send_photo(const boost::json::object& req, const Answer& answer);
  void get_thumbnail(const boost::json::object& req, const Answer& answer);
  // Removes the least recently used thumbnails until the cache fits its bound.
  void get_stored_thumbnail(const std::string& media_id, const Answer& answer);
  void trim_thumbnail_cache(const std::filesystem::path& keep);
  // Queues a message (or a photo with its caption) and reports it as send_message does.
  void enqueue_and_send(int64_t chat_id, const std::string& text, const std::string& media_id,
                        const Answer& answer);

  // --- engine_groups.cc
  void add_members(const boost::json::object& req, const Answer& answer);
  void remove_member(const boost::json::object& req, const Answer& answer);
  void rename_group(const boost::json::object& req, const Answer& answer);
  void answer_with_conversation(Result<boost::json::object> r, const Answer& answer);

  // --- engine_people.cc: find_users, contacts, blocking (HTTP passthrough)
  void people_request(const std::string& type, const boost::json::object& req, const Answer& answer);

  void http(std::string method, std::string target, boost::json::object body,
            std::function<void(Result<boost::json::object>)> done);
  void emit(boost::json::object update);

  // --- engine_connection.cc: the WebSocket, reconnection, request/answer matching
  void connect();
  void on_open();
  void on_frame(const std::string& text);
  void on_closed(int code, const std::string& reason);
  void schedule_reconnect();
  void set_connection_state(const std::string& state, int64_t retry_in_ms = -1);
  // Sends a request frame; `done` gets its answer, or an "unavailable" error frame when the
  // connection drops first.
  void request(boost::json::object frame, FrameDone done);

  // --- engine_sync.cc: sync, changes, server events
  void sync();
  void sync_page(int64_t since);
  void fetch_changes(std::vector<int64_t> chats, std::function<void()> done);
  void apply_conversation(const boost::json::object& conversation);
  void apply_message(const boost::json::value& message, bool live);
  void apply_event(const std::string& type, const boost::json::object& frame);
  void send_unsent_reads();
  void acknowledge_delivery(int64_t chat_id, int64_t seq);
  void emit_chat(int64_t chat_id);
  void emit_state_changes(const Chat& before, const Chat& after);

  // --- engine_outbox.cc
  void pump_outbox();
  void on_send_answer(const OutboxEntry& entry, const boost::json::object& frame);

  // --- views.cc
  boost::json::object chat_view(const Chat& chat) const;
  boost::json::object message_view(const Message& message, const Chat* chat) const;
  boost::json::object outbox_view(const OutboxEntry& entry) const;
  std::string own_state(const Message& message, const Chat& chat) const;

  // Constant after construction.
  boost::asio::io_context& io_;
  UpdateQueue& out_;

  // Set by the "start" request.
  std::unique_ptr<Store> store_;
  Endpoint server_;
  std::string device_name_;
  std::string thumbnail_dir_;             // <database>.thumbnails
  uintmax_t thumbnail_cache_bytes_ = 64u << 20;
  std::string token_;
  int64_t me_ = 0;

  // The connection.
  std::shared_ptr<WsConnection> ws_;
  bool ready_ = false;
  bool stopping_ = false;
  bool replaced_ = false;  // closed with 4009: no automatic reconnect
  Backoff backoff_;
  boost::asio::steady_timer reconnect_timer_;
  int64_t next_frame_id_ = 1;
  std::map<int64_t, FrameDone> in_flight_;

  // Sync and outbox progress.
  bool syncing_ = false;
  bool resync_ = false;
  bool sending_ = false;  // one outbox entry in flight: keeps the server's order ours
  boost::asio::steady_timer outbox_timer_;
};

}  // namespace parley::client
