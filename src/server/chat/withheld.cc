#include "server/chat/withheld.h"

#include <algorithm>
#include <optional>

namespace parley::chat {

Status withhold(store::WriteTxn& txn, store::AppendOutcome& outcome) {
  const store::MessageRecord& m = outcome.message;
  for (int64_t member : outcome.member_ids) {
    if (member == m.sender_id) continue;
    auto hidden = txn.hide_message(member, m.conversation_id, m.seq);
    if (!hidden) return hidden.error();
  }
  // The event goes to the sender's other devices only; the sending one gets the ack.
  outcome.member_ids = {m.sender_id};
  return {};
}

namespace {

const store::MemberRecord* find_member(const store::ConversationRecord& c, int64_t user_id) {
  for (const auto& m : c.members)
    if (m.user.id == user_id) return &m;
  return nullptr;
}

// The newest message of the conversation that counts for the viewer: not hidden from
// them, or at or below their read watermark (what they read stays theirs, even if they
// later hid it). nullopt when there is none.
Result<std::optional<store::MessageRecord>> last_counted(store::Store& store, int64_t viewer_id,
                                                         const store::ConversationRecord& c,
                                                         int64_t read_seq) {
  store::HistoryQuery q;
  q.conversation_id = c.id;
  q.before = c.last_seq;  // the last message itself is known to be a withheld one
  q.limit = 200;
  for (;;) {
    auto page = store.history(viewer_id, q);
    if (!page) return page.error();
    for (auto& m : page->items)
      if (!m.hidden || m.seq <= read_seq) return std::optional<store::MessageRecord>(std::move(m));
    if (!page->has_more || page->items.empty()) return std::optional<store::MessageRecord>();
    q.before = page->items.back().seq;
  }
}

}  // namespace

Status trim_hidden_tail(store::Store& store, int64_t viewer_id, store::ConversationRecord& c) {
  const store::MemberRecord* me = find_member(c, viewer_id);
  const int64_t read_seq = me ? me->read_seq : 0;
  if (!c.last_message || !c.last_message->hidden || c.last_seq <= read_seq) return {};
  auto last = last_counted(store, viewer_id, c, read_seq);
  if (!last) return last.error();
  if (*last) {
    c.last_seq = (*last)->seq;
    c.last_activity = (*last)->ts;
  } else {
    c.last_seq = 0;
    c.last_activity = c.created_at;
  }
  c.last_message = std::move(*last);
  for (auto& m : c.members) {
    m.delivered_seq = std::min(m.delivered_seq, c.last_seq);
    m.read_seq = std::min(m.read_seq, c.last_seq);
  }
  c.min_delivered_seq = std::min(c.min_delivered_seq, c.last_seq);
  c.min_read_seq = std::min(c.min_read_seq, c.last_seq);
  return {};
}

}  // namespace parley::chat
