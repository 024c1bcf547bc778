// Messages to someone who blocked their sender ("withheld"). The sender must learn
// nothing, so the send succeeds as usual: the message is stored in the direct
// conversation (the sender's devices, retries and reloads keep it, with one tick) and,
// in the same transaction, hidden from the blocker as by "delete for me". It is never
// delivered to the blocker's devices, and while it is at the end of the conversation it
// counts nowhere for her: not in last_seq, unread, last_message or last_activity, and her
// watermarks cannot pass it, so the sender never sees it delivered or read.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "server/store/store.h"

namespace parley::chat {

// Inside the send's transaction, after append_message of a new message into a direct
// conversation whose other member blocked the sender: hides the message from that member
// and narrows `outcome.member_ids` to the sender, so only the sender's own devices get
// the event. Errors: the store's (the whole send then fails and nothing is stored).
[[nodiscard]] Status withhold(store::WriteTxn& txn, store::AppendOutcome& outcome);

// `c` as `viewer_id` sees it once the trailing messages hidden from them and beyond their
// read watermark are left out: last_seq, last_message and last_activity become those of
// the newest message that still counts (none: 0, empty, created_at), and no member's
// watermark exceeds that last_seq. Reads nothing unless the last message is hidden from
// the viewer and unread (the common case costs nothing). Errors: the store's.
[[nodiscard]] Status trim_hidden_tail(store::Store& store, int64_t viewer_id,
                                      store::ConversationRecord& c);

}  // namespace parley::chat
