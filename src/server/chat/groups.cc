// ChatService: group chats. The store offers primitives; the rules (who may do what, the
// member limit, the last admin leaving) live here and run inside one write transaction,
// so they are checked against exactly the state they change.
#include <algorithm>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/group_change.h"
#include "server/chat/service.h"

namespace parley::chat {

namespace json = boost::json;

json::object user_json(const store::UserRecord& u) {
  if (u.deleted())
    return {{"id", u.id}, {"username", u.username}, {"display_name", kDeletedAccountName}, {"deleted", true}};
  return {{"id", u.id}, {"username", u.username}, {"display_name", u.display_name}};
}

namespace {

constexpr std::size_t kMaxGroupNameChars = 100;
constexpr std::size_t kMaxDescriptionChars = 512;

Error not_a_member() { return Error::make(Errc::kNotFound, "no such group"); }
Error not_admin() { return Error::make(Errc::kForbidden, "only group admins may do that"); }

Status validate_group_name(std::string_view name) {
  if (!protocol::is_valid_utf8(name)) return Error::make(Errc::kInvalidUtf8, "name is not valid UTF-8");
  std::size_t n = protocol::utf8_length(name);
  if (n < 1 || n > kMaxGroupNameChars)
    return Error::make(Errc::kInvalidArgument, "group name must be 1 to 100 characters");
  if (Status s = protocol::validate_visible(name, "group name"); !s) return s;
  return protocol::validate_not_blank(name, "group name");
}

Status validate_description(std::string_view d) {
  if (!protocol::is_valid_utf8(d)) return Error::make(Errc::kInvalidUtf8, "description is not valid UTF-8");
  if (protocol::utf8_length(d) > kMaxDescriptionChars)
    return Error::make(Errc::kInvalidArgument, "description must be at most 512 characters");
  return protocol::validate_visible(d, "description", /*allow_newline=*/true);
}

// Appends a system message describing `event` (sent by `sender_id`).
Status append_system(store::WriteTxn& txn, GroupChange& change, int64_t conversation_id,
                     int64_t sender_id, json::object event) {
  store::NewMessage m;
  m.conversation_id = conversation_id;
  m.sender_id = sender_id;
  m.client_id = "sys-" + new_token().substr(0, 22);
  m.kind = "system";
  m.text = json::serialize(event);
  m.ts = now_ms();
  auto r = txn.append_message(m);
  if (!r) return r.error();
  change.events.push_back(std::move(*r));
  return {};
}

// The actor's active membership; kNotFound when they are not an active member of a group.
Result<store::MemberRecord> active_membership(store::WriteTxn& txn, int64_t conversation_id,
                                              int64_t user_id) {
  auto c = txn.conversation(conversation_id, user_id);
  if (!c) return c.error();
  if (!c->has_value() || (*c)->kind != "group") return not_a_member();
  auto m = txn.member(conversation_id, user_id);
  if (!m) return m.error();
  if (!m->has_value() || (*m)->left_seq) return not_a_member();
  return std::move(**m);
}

// Adds `user_ids` as members who see history after joined_seq, then records `event`
// (given the added users as "users"), then queues the group's appearance for each of them.
Status add_and_announce(store::WriteTxn& txn, GroupChange& change, int64_t conversation_id,
                        int64_t actor, const std::vector<int64_t>& user_ids, int64_t joined_seq,
                        json::object event) {
  int64_t now = now_ms();
  json::array added;
  for (int64_t uid : user_ids) {
    if (Status s = txn.add_member(conversation_id, uid, "member", joined_seq, now); !s) return s;
    auto m = txn.member(conversation_id, uid);
    if (!m) return m.error();
    if (m->has_value()) added.push_back(user_json((*m)->user));
  }
  event["users"] = std::move(added);
  if (Status s = append_system(txn, change, conversation_id, actor, std::move(event)); !s) return s;
  for (int64_t uid : user_ids) {
    auto view = txn.conversation(conversation_id, uid);
    if (!view) return view.error();
    if (view->has_value()) change.appeared.emplace_back(std::move(**view), uid);
  }
  return {};
}

// kForbidden naming the users among `candidates` who do not let `actor` add them to a
// group; ok when there are none. Read inside the change, so a block or a privacy change
// committed before it is always seen.
Status check_refusals(store::WriteTxn& txn, int64_t actor, const std::vector<int64_t>& candidates) {
  auto refused = txn.group_add_refusals(actor, candidates);
  if (!refused) return refused.error();
  if (refused->empty()) return {};
  Error e = Error::make(Errc::kForbidden,
                        "these users cannot be added to a group by you; nobody was added");
  e.user_ids.assign(refused->begin(), refused->end());
  return e;
}

// Finishes a change with the actor's view of the group as its result.
Status finish_with_view(store::WriteTxn& txn, GroupChange& change, int64_t conversation_id,
                        int64_t actor) {
  auto view = txn.conversation(conversation_id, actor);
  if (!view) return view.error();
  change.result = std::move(*view);
  return {};
}

}  // namespace

Result<std::vector<int64_t>> ChatService::user_ids(const std::vector<std::string>& usernames) {
  std::vector<int64_t> ids;
  for (const auto& name : usernames) {
    auto u = find_user(name);
    if (!u) return Error::make(Errc::kNotFound, "no such user '" + name + "'");
    ids.push_back(u->id);
  }
  return ids;
}

Status ChatService::throttle_group_change(int64_t actor, bool creating, std::size_t adding) {
  const std::string key = std::to_string(actor);
  const int64_t now = steady_ms();
  if (creating) {
    if (int64_t wait = group_create_limiter_.acquire(key, now); wait > 0) {
      Error e = Error::make(Errc::kRateLimited, "too many groups created; slow down");
      e.retry_after_ms = wait;
      return e;
    }
  }
  if (adding > 0) {
    if (int64_t wait = group_add_limiter_.acquire(key, now, static_cast<double>(adding)); wait > 0) {
      Error e = Error::make(Errc::kRateLimited, "too many people added to groups; slow down");
      e.retry_after_ms = wait;
      return e;
    }
  }
  return {};
}

// Runs a group change in the committer and announces its effects after the commit.
#define PARLEY_TRY(expr)                         \
  do {                                           \
    if (auto _s = (expr); !_s) return _s.error(); \
  } while (0)

void ChatService::create_group(const Principal& who, std::string name, std::string description,
                               std::vector<int64_t> member_ids,
                               Callback<store::ConversationRecord> done) {
  if (auto s = validate_group_name(name); !s) return done(s.error());
  if (auto s = validate_description(description); !s) return done(s.error());
  std::set<int64_t> unique(member_ids.begin(), member_ids.end());
  unique.erase(who.user.id);
  if (unique.size() + 1 > limits_.max_group_members)
    return done(Error::make(Errc::kGroupFull, "a group has at most " +
                                                   std::to_string(limits_.max_group_members) + " members"));
  int64_t creator = who.user.id;
  std::vector<int64_t> others(unique.begin(), unique.end());
  if (auto s = throttle_group_change(creator, true, others.size()); !s) return done(s.error());
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        PARLEY_TRY(check_refusals(txn, creator, others));
        int64_t now = now_ms();
        auto group = txn.create_group(creator, name, description, now);
        if (!group) return group.error();
        int64_t id = group->id;
        PARLEY_TRY(add_and_announce(txn, change, id, creator, others, 0,
                                    {{"event", "group_created"}, {"actor_id", creator}, {"name", name}}));
        PARLEY_TRY(finish_with_view(txn, change, id, creator));
        // The creator's devices learn of the new group as they do of a new direct
        // conversation: by a `conversation` event before its first message.
        if (change.result) change.appeared.emplace_back(*change.result, creator);
        return {};
      },
      std::move(done));
}

void ChatService::add_members(const Principal& who, int64_t conversation_id,
                              std::vector<int64_t> user_ids, Callback<store::ConversationRecord> done) {
  if (user_ids.empty()) return done(Error::make(Errc::kBadRequest, "no users to add"));
  int64_t actor = who.user.id;
  std::size_t limit = limits_.max_group_members;
  std::set<int64_t> named(user_ids.begin(), user_ids.end());
  named.erase(actor);
  if (auto s = throttle_group_change(actor, false, named.size()); !s) return done(s.error());
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        auto me = active_membership(txn, conversation_id, actor);
        if (!me) return me.error();
        if (me->role != "admin") return not_admin();
        auto active = txn.active_members(conversation_id);
        if (!active) return active.error();
        std::set<int64_t> present;
        for (const auto& m : *active) present.insert(m.user.id);
        std::vector<int64_t> fresh;
        for (int64_t uid : std::set<int64_t>(user_ids.begin(), user_ids.end()))
          if (!present.count(uid)) fresh.push_back(uid);
        if (present.size() + fresh.size() > limit)
          return Error::make(Errc::kGroupFull, "a group has at most " + std::to_string(limit) + " members");
        if (!fresh.empty()) {
          PARLEY_TRY(check_refusals(txn, actor, fresh));
          auto view = txn.conversation(conversation_id, actor);
          if (!view) return view.error();
          int64_t joined_seq = (*view)->last_seq;  // the event that adds them is visible to them
          PARLEY_TRY(add_and_announce(txn, change, conversation_id, actor, fresh, joined_seq,
                                      {{"event", "members_added"}, {"actor_id", actor}}));
        }
        return finish_with_view(txn, change, conversation_id, actor);
      },
      std::move(done));
}

Status end_membership(store::WriteTxn& txn, GroupChange& change, int64_t conversation_id,
                      int64_t actor, const store::MemberRecord& target) {
  int64_t uid = target.user.id;
  json::object event = actor == uid
                           ? json::object{{"event", "member_left"}, {"actor_id", uid}, {"users", {user_json(target.user)}}}
                           : json::object{{"event", "member_removed"}, {"actor_id", actor}, {"users", {user_json(target.user)}}};
  // The event is appended while the target is still a member, so it is the last thing
  // they see: they keep history up to and including their removal.
  PARLEY_TRY(append_system(txn, change, conversation_id, actor, std::move(event)));
  PARLEY_TRY(txn.remove_member(conversation_id, uid, change.events.back().message.seq));
  auto rest = txn.active_members(conversation_id);
  if (!rest) return rest.error();
  if (rest->empty()) return {};
  bool has_admin = std::any_of(rest->begin(), rest->end(), [](const auto& m) { return m.role == "admin"; });
  if (has_admin) return {};
  const store::MemberRecord& heir = rest->front();  // ordered longest-standing first
  PARLEY_TRY(txn.set_role(conversation_id, heir.user.id, "admin"));
  return append_system(txn, change, conversation_id, heir.user.id,
                       {{"event", "admin_promoted"}, {"actor_id", nullptr}, {"users", {user_json(heir.user)}}});
}

void ChatService::remove_member(const Principal& who, int64_t conversation_id, int64_t user_id,
                                Callback<Done> done) {
  if (user_id == who.user.id) return leave_group(who, conversation_id, std::move(done));
  int64_t actor = who.user.id;
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        auto me = active_membership(txn, conversation_id, actor);
        if (!me) return me.error();
        if (me->role != "admin") return not_admin();
        auto target = txn.member(conversation_id, user_id);
        if (!target) return target.error();
        if (!target->has_value() || (*target)->left_seq)
          return Error::make(Errc::kNotFound, "that user is not a member");
        return end_membership(txn, change, conversation_id, actor, **target);
      },
      Callback<store::ConversationRecord>([done = std::move(done)](Result<store::ConversationRecord> r) {
        if (!r) return done(r.error());
        done(Done{});
      }));
}

void ChatService::leave_group(const Principal& who, int64_t conversation_id, Callback<Done> done) {
  int64_t actor = who.user.id;
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        auto me = active_membership(txn, conversation_id, actor);
        if (!me) return me.error();
        return end_membership(txn, change, conversation_id, actor, *me);
      },
      Callback<store::ConversationRecord>([done = std::move(done)](Result<store::ConversationRecord> r) {
        if (!r) return done(r.error());
        done(Done{});
      }));
}

void ChatService::set_member_role(const Principal& who, int64_t conversation_id, int64_t user_id,
                                  std::string role, Callback<Done> done) {
  if (role != "admin" && role != "member")
    return done(Error::make(Errc::kInvalidArgument, "role must be 'admin' or 'member'"));
  int64_t actor = who.user.id;
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        auto me = active_membership(txn, conversation_id, actor);
        if (!me) return me.error();
        if (me->role != "admin") return not_admin();
        auto target = txn.member(conversation_id, user_id);
        if (!target) return target.error();
        if (!target->has_value() || (*target)->left_seq)
          return Error::make(Errc::kNotFound, "that user is not a member");
        if ((*target)->role == role) return {};  // already so: nothing to record
        if (role == "member") {
          auto active = txn.active_members(conversation_id);
          if (!active) return active.error();
          auto admins = std::count_if(active->begin(), active->end(), [](const auto& m) { return m.role == "admin"; });
          if (admins <= 1)
            return Error::make(Errc::kInvalidArgument, "a group needs at least one admin");
        }
        PARLEY_TRY(txn.set_role(conversation_id, user_id, role));
        return append_system(txn, change, conversation_id, actor,
                             {{"event", role == "admin" ? "admin_promoted" : "admin_demoted"},
                              {"actor_id", actor},
                              {"users", {user_json((*target)->user)}}});
      },
      Callback<store::ConversationRecord>([done = std::move(done)](Result<store::ConversationRecord> r) {
        if (!r) return done(r.error());
        done(Done{});
      }));
}

void ChatService::update_group(const Principal& who, int64_t conversation_id,
                               std::optional<std::string> name, std::optional<std::string> description,
                               Callback<store::ConversationRecord> done) {
  if (!name && !description) return done(Error::make(Errc::kBadRequest, "name or description is required"));
  if (name)
    if (auto s = validate_group_name(*name); !s) return done(s.error());
  if (description)
    if (auto s = validate_description(*description); !s) return done(s.error());
  int64_t actor = who.user.id;
  run_group_change(
      [=](store::WriteTxn& txn, GroupChange& change) -> Status {
        auto me = active_membership(txn, conversation_id, actor);
        if (!me) return me.error();
        if (me->role != "admin") return not_admin();
        auto view = txn.conversation(conversation_id, actor);
        if (!view) return view.error();
        std::string new_name = name.value_or((*view)->name);
        std::string new_description = description.value_or((*view)->description);
        if (new_name != (*view)->name || new_description != (*view)->description)
          PARLEY_TRY(txn.set_group_info(conversation_id, new_name, new_description));
        if (new_name != (*view)->name)
          PARLEY_TRY(append_system(txn, change, conversation_id, actor,
                                   {{"event", "group_renamed"}, {"actor_id", actor}, {"name", new_name}}));
        if (new_description != (*view)->description)
          PARLEY_TRY(append_system(txn, change, conversation_id, actor,
                                   {{"event", "description_changed"}, {"actor_id", actor}, {"description", new_description}}));
        return finish_with_view(txn, change, conversation_id, actor);
      },
      std::move(done));
}

Result<std::vector<store::MemberRecord>> ChatService::group_members(const Principal& who,
                                                                   int64_t conversation_id) {
  return store_.group_members(conversation_id, who.user.id);
}

Result<std::vector<store::MessageReceipt>> ChatService::message_receipts(const Principal& who,
                                                                        int64_t conversation_id,
                                                                        int64_t seq) {
  if (seq < 1) return Error::make(Errc::kInvalidArgument, "seq must be >= 1");
  auto receipts = store_.message_receipts(conversation_id, seq, who.user.id);
  if (!receipts) return receipts;
  // Voice messages: when each member first played it (the access check is done above).
  auto plays = store_.voice_plays(conversation_id, seq);
  if (!plays) return plays.error();
  for (auto& r : *receipts)
    for (const auto& [user_id, at] : *plays)
      if (r.user.id == user_id) r.played_at = at;
  return receipts;
}

void ChatService::run_group_change(std::function<Status(store::WriteTxn&, GroupChange&)> apply,
                                   Callback<store::ConversationRecord> done) {
  committer_.submit(make_op<GroupChange>(
      [apply = std::move(apply)](store::WriteTxn& txn) -> Result<GroupChange> {
        GroupChange change;
        if (Status s = apply(txn, change); !s) return s.error();
        return change;
      },
      Callback<GroupChange>([this, done = std::move(done)](Result<GroupChange> r) {
        if (!r) return done(r.error());
        GroupChange& c = *r;
        // New members learn of the group before its messages reach them.
        for (const auto& [view, uid] : c.appeared) notifier_.on_conversation(view, uid);
        // A removal event was appended while its target was still active, so its
        // member_ids include them: they learn of their removal, and of nothing after.
        for (const auto& e : c.events) notifier_.on_message(e, 0);
        done(c.result ? std::move(*c.result) : store::ConversationRecord{});
      })));
}

}  // namespace parley::chat
