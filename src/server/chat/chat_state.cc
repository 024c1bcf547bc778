// ChatService: pinned and archived chats (docs/protocol.md, "Pinned and archived chats").
#include "common/clock.h"
#include "server/chat/service.h"

namespace parley::chat {

void ChatService::set_chat_state(const Principal& who, int64_t conversation_id, std::optional<bool> pinned,
                                 std::optional<bool> archived, Callback<store::ChatStateOutcome> done) {
  if (conversation_id <= 0) return done(Error::make(Errc::kNotFound, "no such conversation"));
  if (!pinned && !archived) return done(Error::make(Errc::kBadRequest, "give 'pinned' or 'archived'"));
  const int64_t user_id = who.user.id;
  committer_.submit(make_op<store::ChatStateOutcome>(
      [=](store::WriteTxn& txn) {
        return txn.set_chat_state(conversation_id, user_id, pinned, archived,
                                  static_cast<int>(kMaxPinnedChats), now_ms());
      },
      Callback<store::ChatStateOutcome>([this, done = std::move(done)](Result<store::ChatStateOutcome> r) {
        if (r && r->changed) notifier_.on_chat_state(*r);
        done(std::move(r));
      })));
}

}  // namespace parley::chat
