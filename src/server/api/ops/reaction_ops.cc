// Reactions (docs/protocol.md, "Reactions"): set or replace one's reaction, or remove it;
// and forwarding a message to other conversations ("Forwarding").
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

}  // namespace

void add_reaction_ops(std::vector<Operation>& ops) {
  ops.push_back({"react", "react", "reacted", "PUT",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kRequired, Bucket::kOther, true, parser<React>()});
  ops.push_back({"unreact", "unreact", "reacted", "DELETE",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kNone, Bucket::kOther, true, parser<Unreact>()});
  ops.push_back({"forward", "forward", "forwarded", "POST",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/forward", Runs::kCommitter,
                 Body::kRequired, Bucket::kSend, true, parser<Forward>()});
}

}  // namespace parley::api::ops
