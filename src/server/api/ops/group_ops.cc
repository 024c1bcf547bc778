// Groups (docs/protocol.md, "Groups"): creating, members, roles, leaving, renaming, and
// per-message receipts.
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

// Users named by ids ("<prefix>_ids") and/or usernames ("<prefix>_usernames").
struct UserList {
  std::vector<int64_t> ids;
  std::vector<std::string> usernames;

  static Result<UserList> parse(const Args& a, const std::string& prefix) {
    PARLEY_ARG(auto ids, a.optional_ids(prefix + "_ids"));
    PARLEY_ARG(auto names, a.optional_strings(prefix + "_usernames"));
    UserList l{ids.value_or(std::vector<int64_t>{}), names.value_or(std::vector<std::string>{})};
    if (l.ids.size() + l.usernames.size() > 1024)
      return Error::make(Errc::kInvalidArgument, "too many users in one request");
    return l;
  }
  // Every id, the usernames resolved (kNotFound for an unknown one). Reads the store.
  Result<std::vector<int64_t>> resolve(chat::ChatService& chat) && {
    if (!usernames.empty()) {
      auto resolved = chat.user_ids(usernames);
      if (!resolved) return resolved.error();
      ids.insert(ids.end(), resolved->begin(), resolved->end());
    }
    return std::move(ids);
  }
};

auto conversation_answer(int64_t viewer, int status) {
  return [viewer, status](const store::ConversationRecord& c) {
    return ok_encoded(wire::conversation_answer(c, viewer), status);
  };
}

auto empty_answer() {
  return [](const chat::Done&) { return ok(); };
}

struct CreateGroup {
  struct Request {
    std::string name, description;
    UserList members;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto name, a.required_string("name"));
    PARLEY_ARG(auto description, a.optional_string("description"));
    PARLEY_ARG(auto members, UserList::parse(a, "member"));
    return Request{std::move(name), description.value_or(""), std::move(members)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto members = std::move(r.members).resolve(c.services->chat);
    if (!members) return reply(members.error());
    c.services->chat.create_group(
        c.who, std::move(r.name), std::move(r.description), std::move(*members),
        replying<store::ConversationRecord>(std::move(reply), conversation_answer(c.who.user.id, 201)));
  }
};

struct UpdateGroup {
  struct Request {
    int64_t conversation_id;
    std::optional<std::string> name, description;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto name, a.optional_string("name"));
    PARLEY_ARG(auto description, a.optional_string("description"));
    return Request{conv, std::move(name), std::move(description)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.update_group(
        c.who, r.conversation_id, std::move(r.name), std::move(r.description),
        replying<store::ConversationRecord>(std::move(reply), conversation_answer(c.who.user.id, 200)));
  }
};

struct Leave : InConversation {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.leave_group(c.who, r.conversation_id,
                                 replying<chat::Done>(std::move(reply), empty_answer()));
  }
};

struct Members : InConversation {
  static void run(const Call& c, Request r, Reply reply) {
    auto members = c.services->chat.group_members(c.who, r.conversation_id);
    if (!members) return reply(members.error());
    json::array a;
    for (const auto& x : *members) a.push_back(wire::member(x));
    reply(ok({{"members", std::move(a)}}));
  }
};

struct AddMembers {
  struct Request {
    int64_t conversation_id;
    UserList users;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto users, UserList::parse(a, "user"));
    return Request{conv, std::move(users)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto users = std::move(r.users).resolve(c.services->chat);
    if (!users) return reply(users.error());
    c.services->chat.add_members(
        c.who, r.conversation_id, std::move(*users),
        replying<store::ConversationRecord>(std::move(reply), conversation_answer(c.who.user.id, 200)));
  }
};

struct RemoveMember : MemberOf {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.remove_member(c.who, r.conversation_id, r.user_id,
                                   replying<chat::Done>(std::move(reply), empty_answer()));
  }
};

struct SetRole {
  struct Request {
    int64_t conversation_id, user_id;
    std::string role;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto member, MemberOf::parse(a));
    PARLEY_ARG(auto role, a.required_string("role"));
    return Request{member.conversation_id, member.user_id, std::move(role)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.set_member_role(c.who, r.conversation_id, r.user_id, std::move(r.role),
                                     replying<chat::Done>(std::move(reply), empty_answer()));
  }
};

struct MessageReceipts : AtMessage {
  static void run(const Call& c, Request r, Reply reply) {
    auto receipts = c.services->chat.message_receipts(c.who, r.conversation_id, r.seq);
    if (!receipts) return reply(receipts.error());
    json::array a;
    for (const auto& x : *receipts) {
      json::object o{{"user", wire::user(x.user)}};
      o["delivered_at"] = x.delivered_at ? json::value(*x.delivered_at) : json::value(nullptr);
      o["read_at"] = x.read_at ? json::value(*x.read_at) : json::value(nullptr);
      o["played_at"] = x.played_at ? json::value(*x.played_at) : json::value(nullptr);
      a.push_back(std::move(o));
    }
    reply(ok({{"receipts", std::move(a)}}));
  }
};

}  // namespace

void add_group_ops(std::vector<Operation>& ops) {
  const auto add = [&ops](std::string_view name, std::string_view method, std::string_view path, Runs runs,
                          Body body, auto parse) {
    ops.push_back({name, "", "", method, path, runs, body, Bucket::kOther, true, std::move(parse)});
  };
  add("create_group", "POST", "/api/v1/groups", Runs::kWorker, Body::kRequired, parser<CreateGroup>());
  add("update_group", "PATCH", "/api/v1/conversations/{conversation_id}", Runs::kCommitter, Body::kRequired,
      parser<UpdateGroup>());
  add("leave_group", "POST", "/api/v1/conversations/{conversation_id}/leave", Runs::kCommitter, Body::kNone,
      parser<Leave>());
  add("members", "GET", "/api/v1/conversations/{conversation_id}/members", Runs::kWorker, Body::kNone,
      parser<Members>());
  add("add_members", "POST", "/api/v1/conversations/{conversation_id}/members", Runs::kWorker,
      Body::kRequired, parser<AddMembers>());
  add("remove_member", "DELETE", "/api/v1/conversations/{conversation_id}/members/{user_id}",
      Runs::kCommitter, Body::kNone, parser<RemoveMember>());
  add("set_role", "PATCH", "/api/v1/conversations/{conversation_id}/members/{user_id}", Runs::kCommitter,
      Body::kRequired, parser<SetRole>());
  add("message_receipts", "GET", "/api/v1/conversations/{conversation_id}/messages/{seq}/receipts",
      Runs::kWorker, Body::kNone, parser<MessageReceipts>());
}

}  // namespace parley::api::ops
