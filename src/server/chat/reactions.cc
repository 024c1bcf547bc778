// ChatService: reactions (docs/protocol.md, "Reactions") and voice messages played ("Played").
#include <string>

#include "common/clock.h"
#include "protocol/emoji.h"
#include "server/chat/service.h"

namespace parley::chat {

namespace {

Error no_reactable_message() { return Error::make(Errc::kNotFound, "no such message"); }

// The user may react to the message: an active member who sees it (not hidden from them),
// and it is a text or photo message not deleted for everyone.
Status check_reactable(store::WriteTxn& txn, int64_t user_id, int64_t conversation_id, int64_t seq) {
  auto member = txn.member(conversation_id, user_id);
  if (!member) return member.error();
  if (!member->has_value() || (*member)->left_seq) return no_reactable_message();
  auto message = txn.visible_message(user_id, conversation_id, seq);
  if (!message) return message.error();
  if (!message->has_value() || (*message)->hidden) return no_reactable_message();
  if ((*message)->kind == "system")
    return Error::make(Errc::kInvalidArgument, "a group event cannot have reactions");
  if ((*message)->deleted_at)
    return Error::make(Errc::kInvalidArgument, "a deleted message cannot have reactions");
  return {};
}

}  // namespace

void ChatService::react(const Principal& who, int64_t conversation_id, int64_t seq,
                        std::string emoji, Callback<store::ReactionOutcome> done) {
  if (conversation_id <= 0 || seq <= 0) return done(no_reactable_message());
  if (!emoji.empty() && !protocol::is_single_emoji(emoji))
    return done(Error::make(Errc::kInvalidArgument, "a reaction is exactly one emoji"));
  const int64_t user_id = who.user.id;
  committer_.submit(make_op<store::ReactionOutcome>(
      [conversation_id, seq, user_id, emoji = std::move(emoji)](store::WriteTxn& txn)
          -> Result<store::ReactionOutcome> {
        if (Status s = check_reactable(txn, user_id, conversation_id, seq); !s) return s.error();
        // Checked inside the transaction, like a send: a reaction from someone the other
        // member of a direct conversation blocked is stored and shown to its author's
        // devices only; the blocker's reads leave it out (store.h, MessageRecord).
        auto blocked = txn.blocked_in_direct(conversation_id, user_id);
        if (!blocked) return blocked.error();
        auto outcome = txn.set_reaction(user_id, conversation_id, seq, emoji, now_ms());
        if (outcome && *blocked) outcome->member_ids = {user_id};
        return outcome;
      },
      Callback<store::ReactionOutcome>([this, done = std::move(done)](Result<store::ReactionOutcome> r) {
        if (r && r->changed) notifier_.on_reaction(*r);
        done(std::move(r));
      })));
}

void ChatService::mark_played(const Principal& who, int64_t conversation_id, int64_t seq,
                              Callback<store::PlayOutcome> done) {
  if (conversation_id <= 0 || seq <= 0) return done(no_reactable_message());
  const int64_t user_id = who.user.id;
  committer_.submit(make_op<store::PlayOutcome>(
      [conversation_id, seq, user_id](store::WriteTxn& txn) -> Result<store::PlayOutcome> {
        auto member = txn.member(conversation_id, user_id);
        if (!member) return member.error();
        if (!member->has_value() || (*member)->left_seq) return no_reactable_message();
        auto message = txn.visible_message(user_id, conversation_id, seq);
        if (!message) return message.error();
        if (!message->has_value() || (*message)->hidden) return no_reactable_message();
        const store::MessageRecord& m = **message;
        if (m.kind != "voice") return Error::make(Errc::kInvalidArgument, "not a voice message");
        if (m.deleted_at) return Error::make(Errc::kInvalidArgument, "the message was deleted");
        if (m.sender_id == user_id)
          return Error::make(Errc::kInvalidArgument, "your own voice message is not marked played");
        auto outcome = txn.mark_played(conversation_id, seq, user_id, now_ms());
        if (outcome) outcome->sender_id = m.sender_id;
        return outcome;
      },
      Callback<store::PlayOutcome>([this, done = std::move(done)](Result<store::PlayOutcome> r) {
        if (r && r->changed) notifier_.on_played(*r);
        done(std::move(r));
      })));
}

}  // namespace parley::chat
