// Reactions (docs/protocol.md, "Reactions"): set or replace one's reaction, or remove it;
// forwarding a message to other conversations ("Forwarding"); pinning and archiving a chat
// for oneself ("Pinned and archived chats").
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace {

Answer reacted(const store::ReactionOutcome& x) { return ok({{"changed", x.changed}, {"version", x.version}}); }

struct React {
  struct Request {
    AtMessage::Request at;
    std::string emoji;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto at, AtMessage::parse(a));
    PARLEY_ARG(auto emoji, a.required_string("emoji"));
    // An empty string would mean "remove" to the domain; removing has its own operation.
    if (emoji.empty()) return Error::make(Errc::kInvalidArgument, "a reaction is exactly one emoji");
    return Request{at, std::move(emoji)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.react(c.who, r.at.conversation_id, r.at.seq, std::move(r.emoji),
                           replying<store::ReactionOutcome>(std::move(reply), reacted));
  }
};

struct Unreact : AtMessage {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.react(c.who, r.conversation_id, r.seq, std::string(),
                           replying<store::ReactionOutcome>(std::move(reply), reacted));
  }
};

struct Played : AtMessage {
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.mark_played(
        c.who, r.conversation_id, r.seq,
        replying<store::PlayOutcome>(std::move(reply), [](const store::PlayOutcome& x) {
          return ok({{"changed", x.changed}, {"played_at", x.played_at}});
        }));
  }
};

struct Forward {
  struct Request {
    AtMessage::Request at;
    std::vector<int64_t> to;
    std::string client_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto at, AtMessage::parse(a));
    PARLEY_ARG(auto to, a.optional_ids("to"));
    PARLEY_ARG(auto client_id, a.required_string("client_id"));
    if (!to) return Error::make(Errc::kBadRequest, "field 'to' is required");
    return Request{at, std::move(*to), std::move(client_id)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.forward(
        c.who, r.at.conversation_id, r.at.seq, std::move(r.to), std::move(r.client_id), c.connection_id,
        replying<std::vector<store::AppendOutcome>>(std::move(reply), [](const auto& outcomes) {
          boost::json::array results;
          for (const auto& x : outcomes)
            results.push_back(boost::json::object{{"message", wire::message(x.message)}, {"duplicate", x.duplicate}});
          return ok({{"results", std::move(results)}});
        }));
  }
};

struct ChatState {
  struct Request {
    int64_t conversation_id;
    std::optional<bool> pinned, archived;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto pinned, a.optional_bool("pinned"));
    PARLEY_ARG(auto archived, a.optional_bool("archived"));
    return Request{conv, pinned, archived};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.set_chat_state(
        c.who, r.conversation_id, r.pinned, r.archived,
        replying<store::ChatStateOutcome>(std::move(reply), [](const auto& x) {
          return ok({{"conversation_id", x.conversation_id},
                     {"pinned", x.pinned_at.has_value()},
                     {"pinned_at", x.pinned_at ? boost::json::value(*x.pinned_at) : boost::json::value(nullptr)},
                     {"archived", x.archived},
                     {"changed", x.changed},
                     {"version", x.version}});
        }));
  }
};

}  // namespace

void add_reaction_ops(std::vector<Operation>& ops) {
  ops.push_back({"react", "react", "reacted", "PUT",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kRequired, Bucket::kOther, true, parser<React>()});
  ops.push_back({"unreact", "unreact", "reacted", "DELETE",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kNone, Bucket::kOther, true, parser<Unreact>()});
  ops.push_back({"played", "played", "played", "POST",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/played", Runs::kCommitter,
                 Body::kNone, Bucket::kOther, true, parser<Played>()});
  ops.push_back({"forward", "forward", "forwarded", "POST",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/forward", Runs::kCommitter,
                 Body::kRequired, Bucket::kSend, true, parser<Forward>()});
  ops.push_back({"chat_state", "chat_state", "chat_state", "PATCH",
                 "/api/v1/conversations/{conversation_id}/state", Runs::kCommitter, Body::kRequired,
                 Bucket::kOther, true, parser<ChatState>()});
}

}  // namespace parley::api::ops
