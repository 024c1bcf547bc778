// Inside the domain only: what groups.cc shares with the other group changes (an account
// deletion ends its user's memberships exactly as leaving does).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/result.h"
#include "server/store/store.h"

namespace parley::chat {

// What one group transaction did: the system messages it appended (to announce), the
// users for whom the group newly appeared, and the acting user's view afterwards.
struct GroupChange {
  std::vector<store::AppendOutcome> events;
  std::vector<std::pair<store::ConversationRecord, int64_t>> appeared;  // (as seen by, user)
  std::optional<store::ConversationRecord> result;
};

// The name shown for a deleted account (its record has no display name any more).
inline constexpr const char* kDeletedAccountName = "Deleted account";

// A user as group system events name them: id, username, display_name; a deleted account
// as kDeletedAccountName with "deleted": true.
boost::json::object user_json(const store::UserRecord& u);

// Ends `target`'s membership with a system event ("member_left" when actor is the target,
// else "member_removed"); promotes the longest-standing member if no admin would remain.
Status end_membership(store::WriteTxn& txn, GroupChange& change, int64_t conversation_id,
                      int64_t actor, const store::MemberRecord& target);

}  // namespace parley::chat
