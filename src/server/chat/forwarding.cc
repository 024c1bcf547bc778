// ChatService: forwarding a message to other conversations (docs/protocol.md, "Forwarding").
#include <algorithm>
#include <string>

#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/service.h"
#include "server/chat/withheld.h"

namespace parley::chat {

namespace {

// The source the forwarder may copy: a message (not a group event) they see, not deleted.
Result<store::MessageRecord> forwardable(store::WriteTxn& txn, int64_t user_id, int64_t conversation_id,
                                         int64_t seq) {
  auto m = txn.visible_message(user_id, conversation_id, seq);
  if (!m) return m.error();
  if (!m->has_value() || (*m)->hidden) return Error::make(Errc::kNotFound, "no such message");
  if ((*m)->kind == "system")
    return Error::make(Errc::kInvalidArgument, "only text, photo, video, file and voice messages can be forwarded");
  if ((*m)->deleted_at) return Error::make(Errc::kInvalidArgument, "a deleted message cannot be forwarded");
  return std::move(**m);
}

// One copy into `target`, as a send would store it (idempotent per derived client_id,
// withheld from a blocker). kNotFound names the target the forwarder cannot write to.
Result<store::AppendOutcome> copy_into(store::WriteTxn& txn, const store::MessageRecord& source,
                                       int64_t user_id, int64_t target, const std::string& client_id) {
  auto sent = txn.find_sent_message(user_id, client_id);
  if (!sent) return sent.error();
  if (sent->has_value()) {
    // A retry: the copy made the first time, as a repeated send is answered.
    store::AppendOutcome original;
    original.message = std::move(**sent);
    original.duplicate = true;
    return original;
  }
  auto gone = txn.direct_peer_deleted(target, user_id);
  if (!gone) return gone.error();
  if (*gone) return account_deleted_error();
  auto blocked = txn.blocked_in_direct(target, user_id);
  if (!blocked) return blocked.error();
  store::NewMessage m;
  m.conversation_id = target;
  m.sender_id = user_id;
  m.client_id = client_id;
  m.kind = source.kind;
  m.text = source.text;
  m.ts = now_ms();
  // The photo is shared, not uploaded again: the copy names the same upload, and its
  // members may fetch it through the copy (store.h, media_for_user).
  m.media_id = source.media_id;
  m.attachment = source.attachment;
  m.forwarded = true;
  auto outcome = txn.append_message(m);
  if (!outcome) {
    if (outcome.error().code == Errc::kNotFound)
      return Error::make(Errc::kNotFound, "no such conversation: " + std::to_string(target));
    return outcome.error();
  }
  if (*blocked && !outcome->duplicate)
    if (Status s = withhold(txn, *outcome); !s) return s.error();
  return outcome;
}

}  // namespace

void ChatService::forward(const Principal& who, int64_t conversation_id, int64_t seq,
                          std::vector<int64_t> targets, std::string client_id, uint64_t origin_connection,
                          Callback<std::vector<store::AppendOutcome>> done) {
  if (conversation_id <= 0 || seq <= 0) return done(Error::make(Errc::kNotFound, "no such message"));
  if (auto s = protocol::validate_client_id(client_id); !s) return done(s.error());
  if (client_id.size() > kMaxForwardClientIdChars)
    return done(Error::make(Errc::kInvalidArgument, "a forward's client_id is 1 to 40 characters"));
  if (targets.empty() || targets.size() > kMaxForwardTargets)
    return done(Error::make(Errc::kInvalidArgument, "forward to 1 to 5 conversations"));
  auto sorted = targets;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return done(Error::make(Errc::kInvalidArgument, "a conversation is named twice"));
  // Each copy is a message: one send token each, all or none.
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (int64_t wait = send_limiter_.acquire(std::to_string(who.user.id), steady_ms()); wait > 0) {
      Error e = Error::make(Errc::kRateLimited, "too many messages; slow down");
      e.retry_after_ms = wait;
      return done(e);
    }
  }
  const int64_t user_id = who.user.id;
  committer_.submit(make_op<std::vector<store::AppendOutcome>>(
      [=, targets = std::move(targets)](store::WriteTxn& txn) -> Result<std::vector<store::AppendOutcome>> {
        auto source = forwardable(txn, user_id, conversation_id, seq);
        if (!source) return source.error();
        // All or nothing: one failing target fails the op, and the store undoes the copies
        // already made (WriteOp).
        std::vector<store::AppendOutcome> outcomes;
        for (int64_t target : targets) {
          auto copy = copy_into(txn, *source, user_id, target, client_id + "-" + std::to_string(target));
          if (!copy) return copy.error();
          outcomes.push_back(std::move(*copy));
        }
        return outcomes;
      },
      Callback<std::vector<store::AppendOutcome>>(
          [this, origin_connection, done = std::move(done)](Result<std::vector<store::AppendOutcome>> r) {
            if (r)
              for (const auto& outcome : *r)
                if (!outcome.duplicate) notifier_.on_message(outcome, origin_connection);
            done(std::move(r));
          })));
}

}  // namespace parley::chat
