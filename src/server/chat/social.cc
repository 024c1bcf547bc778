// ChatService: contacts, blocking and the last-seen privacy setting.
#include <algorithm>
#include <unordered_map>

#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/service.h"

namespace parley::chat {

Error blocked_error() {
  return Error::make(Errc::kForbidden, "you cannot message this user");
}

void ChatService::add_contact(const Principal& who, int64_t user_id, std::string nickname,
                              Callback<store::ContactRecord> done) {
  if (auto s = protocol::validate_device_name(nickname); !s)  // same rules: 0..64, no controls
    return done(Error::make(s.error().code, "nickname must be 0 to 64 characters without control, direction or invisible characters"));
  int64_t owner = who.user.id;
  auto target = store_.find_user(user_id);
  if (!target) return done(target.error());
  if (target->has_value() && (*target)->deleted()) return done(account_deleted_error());
  committer_.submit(make_op<store::ContactRecord>(
      [owner, user_id, nickname = std::move(nickname)](store::WriteTxn& txn) {
        return txn.upsert_contact(owner, user_id, nickname, now_ms());
      },
      std::move(done)));
}

void ChatService::remove_contact(const Principal& who, int64_t user_id, Callback<Done> done) {
  int64_t owner = who.user.id;
  committer_.submit(make_op<bool>(
      [owner, user_id](store::WriteTxn& txn) { return txn.remove_contact(owner, user_id); },
      Callback<bool>([done = std::move(done)](Result<bool> r) {
        if (!r) return done(r.error());
        if (!*r) return done(Error::make(Errc::kNotFound, "not a contact"));
        done(Done{});
      })));
}

Result<std::vector<store::ContactRecord>> ChatService::contacts(const Principal& who) {
  return store_.contacts(who.user.id);
}

Result<std::vector<store::UserRecord>> ChatService::search_users(std::string_view prefix, int limit) {
  if (limit < 1 || limit > 50) return Error::make(Errc::kInvalidArgument, "limit must be in 1..50");
  if (prefix.empty() || prefix.size() > 32)
    return Error::make(Errc::kInvalidArgument, "prefix must be 1 to 32 characters");
  std::string lower(prefix);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return store_.search_users(lower, limit);
}

void ChatService::set_block(const Principal& who, int64_t user_id, bool blocked, Callback<Done> done) {
  int64_t me = who.user.id;
  committer_.submit(make_op<bool>(
      [me, user_id, blocked](store::WriteTxn& txn) { return txn.set_block(me, user_id, blocked, now_ms()); },
      Callback<bool>([done = std::move(done)](Result<bool> r) {
        if (!r) return done(r.error());
        done(Done{});  // idempotent: blocking twice is fine
      })));
}

Result<std::vector<store::UserRecord>> ChatService::blocked_users(const Principal& who) {
  return store_.blocked_users(who.user.id);
}

void ChatService::set_hide_last_seen(const Principal& who, bool hide, Callback<Done> done) {
  int64_t me = who.user.id;
  committer_.submit(make_op<Done>(
      [me, hide](store::WriteTxn& txn) -> Result<Done> {
        if (Status s = txn.set_hide_last_seen(me, hide); !s) return s.error();
        return Done{};
      },
      std::move(done)));
}

void ChatService::set_privacy(const Principal& who, std::optional<bool> hide_last_seen,
                              std::optional<std::string> groups_add,
                              Callback<store::PrivacySettings> done) {
  if (!hide_last_seen && !groups_add)
    return done(Error::make(Errc::kBadRequest, "hide_last_seen or groups_add is required"));
  if (groups_add && *groups_add != "everyone" && *groups_add != "contacts" && *groups_add != "nobody")
    return done(Error::make(Errc::kInvalidArgument,
                            "groups_add must be \"everyone\", \"contacts\" or \"nobody\""));
  int64_t me = who.user.id;
  committer_.submit(make_op<store::PrivacySettings>(
      [me, hide_last_seen, groups_add = std::move(groups_add)](store::WriteTxn& txn)
          -> Result<store::PrivacySettings> {
        if (hide_last_seen)
          if (Status s = txn.set_hide_last_seen(me, *hide_last_seen); !s) return s.error();
        if (groups_add)
          if (Status s = txn.set_groups_add(me, *groups_add); !s) return s.error();
        return txn.privacy(me);
      },
      std::move(done)));
}

Result<store::PrivacySettings> ChatService::privacy(const Principal& who) {
  auto settings = store_.privacy_settings(who.user.id);
  if (!settings) return settings.error();
  if (!*settings) return Error::make(Errc::kNotFound, "no such user");
  return std::move(**settings);
}

Result<bool> ChatService::hides_last_seen(const Principal& who) {
  auto p = store_.presence({who.user.id});
  if (!p) return p.error();
  return !p->empty() && (*p)[0].hide_last_seen;
}

Result<std::vector<ChatService::PresenceGrant>> ChatService::presence_grants(
    const Principal& who, const std::vector<int64_t>& targets) {
  auto allowed = store_.presence_audience(who.user.id, targets);
  if (!allowed) return allowed.error();
  std::vector<int64_t> ids = *allowed;
  ids.push_back(who.user.id);
  auto privacy = store_.presence(ids);
  if (!privacy) return privacy.error();
  bool viewer_hides = false;
  std::unordered_map<int64_t, bool> hides;
  for (const auto& p : *privacy) {
    if (p.user_id == who.user.id) viewer_hides = p.hide_last_seen;
    hides[p.user_id] = p.hide_last_seen;
  }
  std::vector<PresenceGrant> grants;
  for (int64_t t : *allowed)
    grants.push_back({t, !viewer_hides && !hides[t], hides[t], viewer_hides});  // both ways
  return grants;
}

Result<std::vector<int64_t>> ChatService::typing_recipients(const Principal& who,
                                                            int64_t conversation_id) {
  auto c = store_.conversation_for_member(conversation_id, who.user.id);
  if (!c) return c.error();
  Error not_found = Error::make(Errc::kNotFound, "no such conversation");
  if (!c->has_value()) return not_found;
  std::vector<int64_t> members;
  if ((*c)->kind == "group") {
    auto all = store_.group_members(conversation_id, who.user.id);  // active members only
    if (!all) return all.error();
    for (const auto& m : *all) members.push_back(m.user.id);
  } else {
    for (const auto& m : (*c)->members) {
      if (m.user.id == who.user.id && m.left_seq) return not_found;
      members.push_back(m.user.id);
    }
  }
  members.erase(std::remove(members.begin(), members.end(), who.user.id), members.end());
  auto blocked = store_.block_relations(who.user.id, members);
  if (!blocked) return blocked.error();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](int64_t id) {
                                 return std::find(blocked->begin(), blocked->end(), id) != blocked->end();
                               }),
                members.end());
  return members;
}

}  // namespace parley::chat
