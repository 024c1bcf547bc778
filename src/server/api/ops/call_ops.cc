// 1:1 calls: signalling frames and the call record (docs/protocol.md, "Calls"). The rules
// are chat::CallService's; these only read fields and shape answers.
#include "common/clock.h"
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"
#include "server/chat/calls.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

Error no_calls() { return Error::make(Errc::kUnavailable, "calls are not available"); }

// Answers {"call": ...} with the call as the caller of the operation sees it.
chat::Callback<store::CallRecord> answering_call(Reply reply) {
  return replying<store::CallRecord>(std::move(reply),
                                     [](const store::CallRecord& c) { return ok({{"call", chat::call_json(c)}}); });
}

struct CallStart {
  struct Request {
    int64_t conversation_id;
    std::string media, sdp;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto media, a.required_string("media"));
    PARLEY_ARG(auto sdp, a.required_string("sdp"));
    return Request{conv, std::move(media), std::move(sdp)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    c.services->calls->start(c.who, c.connection_id, r.conversation_id, std::move(r.media), std::move(r.sdp),
                             answering_call(std::move(reply)));
  }
};

// {call_id}
struct OneCall {
  struct Request {
    std::string call_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto id, a.required_string("call_id"));
    return Request{std::move(id)};
  }
};

struct CallAccept {
  struct Request {
    std::string call_id, sdp;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto id, a.required_string("call_id"));
    PARLEY_ARG(auto sdp, a.required_string("sdp"));
    return Request{std::move(id), std::move(sdp)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    c.services->calls->accept(c.who, c.connection_id, std::move(r.call_id), std::move(r.sdp),
                              answering_call(std::move(reply)));
  }
};

struct CallDecline : OneCall {
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    c.services->calls->decline(c.who, std::move(r.call_id), answering_call(std::move(reply)));
  }
};

struct CallHangup : OneCall {
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    c.services->calls->hangup(c.who, std::move(r.call_id), answering_call(std::move(reply)));
  }
};

struct CallGet : OneCall {
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    auto call = c.services->calls->get(c.who, r.call_id);
    if (!call) return reply(call.error());
    reply(ok({{"call", chat::call_json(*call)}}));
  }
};

struct IceServers : NoFields {
  static void run(const Call& c, Request, Reply reply) {
    static const IceConfig kNone;
    reply(ok(ice_servers_json(c.services->ice ? *c.services->ice : kNone, c.who.user.id, now_ms() / 1000)));
  }
};

struct CallIce {
  struct Request {
    std::string call_id;
    chat::IceCandidate candidate;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto id, a.required_string("call_id"));
    PARLEY_ARG(const json::object* o, a.required_object("candidate"));
    Request r{std::move(id), {}};
    const json::value* text = o->if_contains("candidate");
    if (!text || !text->is_string())
      return Error::make(Errc::kBadRequest, "field 'candidate.candidate' must be a string");
    r.candidate.candidate.assign(text->as_string().data(), text->as_string().size());
    if (const json::value* mid = o->if_contains("sdpMid"); mid && !mid->is_null()) {
      if (!mid->is_string()) return Error::make(Errc::kBadRequest, "field 'candidate.sdpMid' must be a string or null");
      r.candidate.sdp_mid = std::string(mid->as_string().data(), mid->as_string().size());
    }
    if (const json::value* index = o->if_contains("sdpMLineIndex"); index && !index->is_null()) {
      if (!index->is_int64() && !index->is_uint64())
        return Error::make(Errc::kBadRequest, "field 'candidate.sdpMLineIndex' must be an integer or null");
      if (index->is_uint64() && index->as_uint64() > 65535)
        return Error::make(Errc::kInvalidArgument, "sdpMLineIndex must be in 0..65535");
      r.candidate.sdp_mline_index = index->is_int64() ? index->as_int64() : static_cast<int64_t>(index->as_uint64());
    }
    return r;
  }
  static void run(const Call& c, Request r, Reply reply) {
    if (!c.services->calls) return reply(no_calls());
    if (Status s = c.services->calls->ice(c.who, r.call_id, r.candidate); !s) return reply(s.error());
    reply(ok());
  }
};

}  // namespace

void add_call_ops(std::vector<Operation>& ops) {
  ops.push_back({"call_start", "call_start", "call", "", "", Runs::kCommitter, Body::kNone, Bucket::kOther, true,
                 parser<CallStart>()});
  ops.push_back({"call_accept", "call_accept", "call", "", "", Runs::kCommitter, Body::kNone, Bucket::kOther, true,
                 parser<CallAccept>()});
  ops.push_back({"call_decline", "call_decline", "call", "", "", Runs::kWorker, Body::kNone, Bucket::kOther, true,
                 parser<CallDecline>()});
  ops.push_back({"call_hangup", "call_hangup", "call", "", "", Runs::kWorker, Body::kNone, Bucket::kOther, true,
                 parser<CallHangup>()});
  ops.push_back({"call_ice", "call_ice", "ok", "", "", Runs::kWorker, Body::kNone, Bucket::kOther, true,
                 parser<CallIce>()});
  // Before call_get, whose {call_id} would match "ice-servers" too.
  ops.push_back({"ice_servers", "ice_servers", "ice_servers", "GET", "/api/v1/calls/ice-servers", Runs::kIoThread,
                 Body::kNone, Bucket::kOther, true, parser<IceServers>()});
  ops.push_back({"call_get", "", "", "GET", "/api/v1/calls/{call_id}", Runs::kWorker, Body::kNone, Bucket::kOther,
                 true, parser<CallGet>()});
}

}  // namespace parley::api::ops
