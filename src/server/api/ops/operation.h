// One operation of docs/protocol.md, defined once for both transports: its WebSocket frame
// type, its HTTP method and path, where it runs, one parser (fields -> a bound request) and
// one function producing its answer. Transports only wrap the answer: the WebSocket adds
// `type` and `id` (ws_channel.cc), HTTP adds the status (http_routes.cc). The table of every
// operation is in table.h; each feature's operations are in their own file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/metrics.h"
#include "common/result.h"
#include "server/api/ice_servers.h"
#include "server/api/ops/args.h"
#include "server/api/presence_hub.h"
#include "server/api/transport.h"
#include "server/bus/bus.h"
#include "server/chat/presence.h"
#include "server/chat/rate_limiter.h"
#include "server/chat/service.h"

namespace parley::push {
struct PushApi;
}
namespace parley::chat {
class CallService;
}

namespace parley::api::ops {

// What operations may use. Constant after construction; every member is thread-safe.
struct Services {
  chat::ChatService& chat;
  Metrics& metrics;
  bus::Bus& bus;
  Worker& worker;
  chat::PresenceTracker& presence;
  PresenceHub& hub;
  chat::RateLimiter& typing_limiter;    // per user and conversation
  chat::RateLimiter& register_limiter;  // per client address
  chat::RateLimiter& login_limiter;     // per client address
  // Push notifications (src/server/push); null when the server runs without them (the push
  // operations then answer `unavailable`). Set once by main before serving.
  const push::PushApi* push = nullptr;
  // Calls (chat/calls.h); null: the call operations answer `unavailable`. Set once by main.
  chat::CallService* calls = nullptr;
  // STUN/TURN for calls (ice_servers.h); null: an empty list. Set once by main.
  const IceConfig* ice = nullptr;
};

// Who is calling, and over what.
struct Call {
  Services* services = nullptr;
  chat::Principal who;                      // empty for operations that need no login
  uint64_t connection_id = 0;               // the WebSocket making the call; 0 over HTTP
  std::shared_ptr<bus::Subscriber> socket;  // the same, for presence watches; null over HTTP
  std::string remote_address;               // the client's address (per-address limits)
};

// A successful answer: the body (WebSocket: without type and id) and the HTTP status.
struct Answer {
  boost::json::object body;
  int status = 200;
  // When not empty: the body already encoded as one JSON object, and `body` is unused. For
  // the answers that carry pages of messages or conversations (wire.h, json_writer.h).
  std::string encoded;
};
// Called exactly once with the answer or the error, from any thread.
using Reply = std::function<void(Result<Answer>)>;
// A request whose fields were read: produces the answer.
using Bound = std::function<void(const Call&, Reply)>;

// Where an operation's work happens (docs/protocol.md, "Index of operations"). kIoThread and
// kCommitter run at once on the calling thread (over the WebSocket: the connection's strand);
// kWorker is posted to the worker pool first. HTTP calls all run on a worker.
enum class Runs {
  kIoThread,   // cheap, touches no store
  kWorker,     // reads the store or hashes a password
  kCommitter,  // validates, then queues a write; answers once the committer has committed it
};
enum class Body { kNone, kRequired, kOptional };  // an HTTP JSON body: ignored, required, if any
enum class Bucket { kOther, kSend, kNone };       // which per-user rate limit counts it

struct Operation {
  std::string_view name;    // for documentation and tests, e.g. "send"
  std::string_view frame;   // WebSocket frame type; empty: HTTP only
  std::string_view answer;  // WebSocket answer type (e.g. "ack"); empty with frame
  std::string_view method;  // HTTP method; empty: WebSocket only
  std::string_view path;    // HTTP path with {parameters}, e.g. "/api/v1/conversations/{conversation_id}"
  Runs runs = Runs::kIoThread;
  Body body = Body::kNone;
  Bucket bucket = Bucket::kOther;
  bool authenticated = true;
  // Reads the fields (errors: the protocol's, before anything runs) into a bound request.
  std::function<Result<Bound>(const Args&)> parse;
};

// Builds Operation::parse from an operation type with
//   static Result<Request> parse(const Args&);
//   static void run(const Call&, Request, Reply);
template <class Op>
std::function<Result<Bound>(const Args&)> parser() {
  return [](const Args& args) -> Result<Bound> {
    auto request = Op::parse(args);
    if (!request) return request.error();
    return Bound([request = std::move(*request)](const Call& call, Reply reply) mutable {
      Op::run(call, std::move(request), std::move(reply));
    });
  };
}

// An answer with `body` and `status`.
inline Answer ok(boost::json::object body = {}, int status = 200) { return Answer{std::move(body), status, {}}; }
// An answer whose body is already encoded: a JSON object.
inline Answer ok_encoded(std::string body, int status = 200) { return Answer{{}, status, std::move(body)}; }

// A domain callback that replies with make(value) (an Answer), or with the error.
template <class T, class Make>
std::function<void(Result<T>)> replying(Reply reply, Make make) {
  return [reply = std::move(reply), make = std::move(make)](Result<T> r) {
    if (!r) return reply(r.error());
    reply(make(*r));
  };
}

}  // namespace parley::api::ops
