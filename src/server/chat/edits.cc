// ChatService: editing and deleting messages, message changes and search.
#include <string>

#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/service.h"

namespace parley::chat {

namespace {

Error no_message() { return Error::make(Errc::kNotFound, "no such message"); }

// The message as its sender may change it: it exists and the user, an active member, sent
// it. The callers check the time window after looking at the message, so that a repeat of a
// change already made is answered as such however late it comes.
Result<store::MessageRecord> own_message(store::WriteTxn& txn, int64_t conversation_id,
                                         int64_t seq, int64_t user_id) {
  auto member = txn.member(conversation_id, user_id);
  if (!member) return member.error();
  if (!member->has_value() || (*member)->left_seq) return no_message();
  if (seq <= (*member)->joined_seq) return no_message();
  auto message = txn.message_at(conversation_id, seq);
  if (!message) return message.error();
  if (!message->has_value()) return no_message();
  if ((*message)->sender_id != user_id) {
    return Error::make(Errc::kForbidden, "only the sender can change a message");
  }
  return std::move(**message);
}

Error window_expired(const char* what, int64_t window_ms) {
  return Error::make(Errc::kWindowExpired, std::string(what) + " is only possible for " +
                                               std::to_string(window_ms / 60000) +
                                               " minutes after sending");
}

}  // namespace

void ChatService::edit_message(const Principal& who, int64_t conversation_id, int64_t seq,
                               std::string text, Callback<store::MessageChange> done) {
  if (conversation_id <= 0 || seq <= 0) return done(no_message());
  if (auto s = protocol::validate_text(text, limits_.max_text_bytes); !s) return done(s.error());
  const int64_t user_id = who.user.id;
  const int64_t window = limits_.edit_window_ms;
  committer_.submit(make_op<store::MessageChange>(
      [conversation_id, seq, user_id, window, text = std::move(text)](store::WriteTxn& txn) {
        auto message = own_message(txn, conversation_id, seq, user_id);
        if (!message) return Result<store::MessageChange>(message.error());
        const int64_t now = now_ms();
        if (message->deleted_at) {
          return Result<store::MessageChange>(
              Error::make(Errc::kInvalidArgument, "the message was deleted"));
        }
        if (message->text != text && now - message->ts > window) {
          return Result<store::MessageChange>(window_expired("editing", window));
        }
        return txn.edit_message(conversation_id, seq, text, now);
      },
      Callback<store::MessageChange>([this, done = std::move(done)](Result<store::MessageChange> r) {
        if (r && r->changed) notifier_.on_message_changed(*r);
        done(std::move(r));
      })));
}

void ChatService::delete_message(const Principal& who, int64_t conversation_id, int64_t seq,
                                 DeleteScope scope, Callback<Done> done) {
  if (conversation_id <= 0 || seq <= 0) return done(no_message());
  const int64_t user_id = who.user.id;
  if (scope == DeleteScope::kForMe) {
    committer_.submit(make_op<store::HideOutcome>(
        [conversation_id, seq, user_id](store::WriteTxn& txn) {
          return txn.hide_message(user_id, conversation_id, seq);
        },
        Callback<store::HideOutcome>([this, done = std::move(done)](Result<store::HideOutcome> r) {
          if (!r) return done(r.error());
          if (r->changed) notifier_.on_message_hidden(*r);
          done(Done{});
        })));
    return;
  }
  const int64_t window = limits_.delete_window_ms;
  committer_.submit(make_op<store::MessageChange>(
      [conversation_id, seq, user_id, window](store::WriteTxn& txn) {
        auto message = own_message(txn, conversation_id, seq, user_id);
        if (!message) return Result<store::MessageChange>(message.error());
        const int64_t now = now_ms();
        if (!message->deleted_at && now - message->ts > window) {
          return Result<store::MessageChange>(window_expired("deleting for everyone", window));
        }
        return txn.erase_message(conversation_id, seq, now);
      },
      Callback<store::MessageChange>([this, done = std::move(done)](Result<store::MessageChange> r) {
        if (!r) return done(r.error());
        if (r->changed) notifier_.on_message_changed(*r);
        done(Done{});
      })));
}

Result<store::Page<store::MessageRecord>> ChatService::message_changes(const Principal& who,
                                                                       int64_t conversation_id,
                                                                       int64_t since, int limit) {
  if (limit < 1 || limit > protocol::kMaxPageLimit)
    return Error::make(Errc::kInvalidArgument, "limit must be in 1..200");
  if (since < 0) return Error::make(Errc::kInvalidArgument, "since must be >= 0");
  if (conversation_id <= 0) return Error::make(Errc::kNotFound, "no such conversation");
  return store_.message_changes(who.user.id, conversation_id, since, limit);
}

Result<store::Page<store::SearchHit>> ChatService::search(const Principal& who,
                                                          store::SearchQuery query) {
  if (!protocol::is_valid_utf8(query.text))
    return Error::make(Errc::kInvalidUtf8, "q is not valid UTF-8");
  if (query.text.empty() || query.text.size() > 256)
    return Error::make(Errc::kInvalidArgument, "q must be 1 to 256 bytes");
  if (query.limit < 1 || query.limit > 100)
    return Error::make(Errc::kInvalidArgument, "limit must be in 1..100");
  if (query.offset < 0 || query.offset > 1000)
    return Error::make(Errc::kInvalidArgument, "offset must be in 0..1000");
  if (query.conversation_id && *query.conversation_id <= 0)
    return Error::make(Errc::kNotFound, "no such conversation");
  return store_.search(who.user.id, query);
}

}  // namespace parley::chat
