#include "client/engine.h"

#include <algorithm>
#include <chrono>

#include "client/json_util.h"

namespace parley::client {

namespace json = boost::json;

namespace {

// Worth retrying with the same client_id: the server may not have stored the message, and
// if it did, the retry answers with the original (docs/protocol.md, "Sending a message").
bool transient(Errc code) {
  return code == Errc::kRateLimited || code == Errc::kInternal || code == Errc::kUnavailable;
}

}  // namespace

void Engine::pump_outbox() {
  // One message in flight at a time: a later message can never be committed before an
  // earlier one that was refused for a transient reason and retried.
  if (!ready_ || sending_) return;
  for (;;) {
    auto entries = store_->sendable();
    if (entries.empty()) return;
    const OutboxEntry entry = entries.front();
    auto attempts = store_->count_attempt(entry.client_id);
    if (!attempts) return;
    if (*attempts > kMaxSendAttempts) {
      (void)store_->fail(entry.client_id, "too_many_attempts");
      emit({{"type", "message_state"}, {"chat_id", entry.chat_id}, {"client_id", entry.client_id},
            {"state", "failed"}, {"error", "too_many_attempts"}});
      continue;
    }
    sending_ = true;
    json::object frame{{"type", "send"}, {"conversation_id", entry.chat_id}, {"client_id", entry.client_id}};
    if (!entry.media_id.empty()) frame["media_id"] = entry.media_id;
    if (!entry.text.empty() || entry.media_id.empty()) frame["text"] = entry.text;
    request(std::move(frame),
            [this, entry](const json::object& answer) {
              sending_ = false;
              on_send_answer(entry, answer);
            });
    return;
  }
}

void Engine::on_send_answer(const OutboxEntry& entry, const json::object& frame) {
  if (string_field(frame, "type") == "ack") {
    const json::value* mv = frame.if_contains("message");
    if (mv == nullptr || !mv->is_object()) return;
    const Message m = message_from_json(mv->as_object());
    if (auto put = store_->put_message(m); !put) return;  // stays queued; resent later
    emit({{"type", "message_state"}, {"chat_id", m.chat_id}, {"client_id", m.client_id},
          {"seq", m.seq}, {"state", "sent"}});
    emit_chat(m.chat_id);
    return pump_outbox();
  }
  const Error error = error_from_json(frame);
  if (!ready_) return;  // the connection dropped: the next one resends
  if (transient(error.code)) {
    const auto wait = std::chrono::milliseconds(std::max<int64_t>(error.retry_after_ms, 1000));
    outbox_timer_.expires_after(wait);
    outbox_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pump_outbox();
    });
    return;
  }
  const std::string code(errc_name(error.code));
  (void)store_->fail(entry.client_id, code);
  emit({{"type", "message_state"}, {"chat_id", entry.chat_id}, {"client_id", entry.client_id},
        {"state", "failed"}, {"error", code}, {"message", error.message}});
  emit_chat(entry.chat_id);
  pump_outbox();
}

}  // namespace parley::client
