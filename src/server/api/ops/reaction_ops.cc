// Reactions (docs/protocol.md, "Reactions"): set or replace one's reaction, or remove it.
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

}  // namespace

void add_reaction_ops(std::vector<Operation>& ops) {
  ops.push_back({"react", "react", "reacted", "PUT",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kRequired, Bucket::kOther, true, parser<React>()});
  ops.push_back({"unreact", "unreact", "reacted", "DELETE",
                 "/api/v1/conversations/{conversation_id}/messages/{seq}/reaction", Runs::kCommitter,
                 Body::kNone, Bucket::kOther, true, parser<Unreact>()});
}

}  // namespace parley::api::ops
