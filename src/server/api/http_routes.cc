// HTTP: the operational endpoints, then every operation of the table (ops/table.h) by its
// method and path, then photos. Every request runs on the Worker (it may read the store or
// hash a password); writes complete on the committer's finisher thread. This file only
// wraps: the operation's answer becomes the body, its status the HTTP status.
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/http_reply.h"
#include "server/api/ops/table.h"
#include "server/api/query.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

namespace {

Error route_not_found() { return Error::make(Errc::kNotFound, "no such route"); }

// Reads the operation's fields from the path, query and body, and runs it (the caller is
// already on a worker). `done` gets the answer.
void run_operation(const ops::Operation& op, const ops::Call& call, const ops::Args::PathParams& params,
                   const HttpRequest& req, HttpDone& done) {
  std::optional<json::object> body;
  if (op.body == ops::Body::kRequired || (op.body == ops::Body::kOptional && !req.body.empty())) {
    auto parsed = protocol::parse_object(req.body);
    if (!parsed) return done(error_response(parsed.error()));
    body = std::move(*parsed);
  }
  const Query query(req.query);
  auto bound = op.parse(ops::Args(params, query, body ? &*body : nullptr));
  if (!bound) return done(error_response(bound.error()));
  (*bound)(call, [done](Result<ops::Answer> r) {
    if (!r) return done(error_response(r.error()));
    if (!r->encoded.empty()) {
      HttpResponse encoded;
      encoded.status = r->status;
      encoded.body = std::move(r->encoded);
      return done(std::move(encoded));
    }
    done(json_response(r->status, r->body));
  });
}

}  // namespace

Api::Api(chat::ChatService& chat, bus::Bus& bus, Worker& worker, Metrics& metrics,
         chat::PresenceTracker& presence, PresenceHub& hub, media::MediaService& media,
         ApiOptions options)
    : chat_(chat),
      bus_(bus),
      worker_(worker),
      metrics_(metrics),
      presence_(presence),
      hub_(hub),
      media_(media),
      options_(std::move(options)),
      register_limiter_(options_.register_per_min / 60.0, options_.register_burst),
      login_limiter_(options_.login_per_min / 60.0, options_.login_burst),
      typing_limiter_(1.0, 3.0),
      export_limiter_(5.0 / 3600.0, 5.0),  // docs/protocol.md, "Limits"
      services_{chat_, metrics_, bus_, worker_, presence_, hub_, typing_limiter_, register_limiter_, login_limiter_} {}

void Api::handle_http(HttpRequest request, HttpDone done) {
  metrics_.http_requests.add();
  // Wrap `done` so that every error answer is counted once, whoever produced it, and
  // every answer carries the request id and is logged once.
  HttpDone counted = [this, entry = request_log_.begin(request), done = std::move(done)](HttpResponse r) {
    if (r.error) {
      metrics_.count_error(*r.error);
      if (*r.error == Errc::kRateLimited) metrics_.rate_limited.add();
    }
    RequestLog::finish(entry, r);
    done(std::move(r));
  };
  worker_.post([this, request = std::move(request), done = std::move(counted)]() mutable {
    route(request, done);
  });
}

void Api::route(HttpRequest& req, HttpDone& done) {
  const std::string& path = req.path;
  if (path == "/healthz") {
    if (req.method != "GET") return done(error_response(method_not_allowed()));
    return done(json_response(200, {{"status", "ok"}}));
  }
  if (path == "/readyz") {
    if (req.method != "GET") return done(error_response(method_not_allowed()));
    if (!ready()) return done(error_response(Error::make(Errc::kUnavailable, "not ready")));
    return done(json_response(200, {{"status", "ready"}}));
  }
  if (path == "/metrics") {
    if (req.method != "GET") return done(error_response(method_not_allowed()));
    // Behind a reverse proxy the peer is the proxy: see docs/protocol.md.
    if (!options_.metrics_allow.contains(req.remote_address))
      return done(error_response(Error::make(Errc::kForbidden, "this address may not read metrics")));
    std::string text = metrics_.render(bus_.subscriber_count());
    text += bus_.metrics_text();
    const store::StoreStats stats = chat_.store_stats();
    append_metric(text, "parley_store_erase_purges_total", "counter",
                  "Purges of erased message text from the search index and WAL.", stats.erase_purges);
    append_metric(text, "parley_store_erase_pending", "gauge",
                  "Whether an erasure (a delete for everyone, an account deletion) awaits its purge (0/1).",
                  stats.erase_pending ? 1 : 0);
    append_summary_us(text, "parley_store_commit_finish_seconds",
                      "The COMMIT of each committed write batch alone: the WAL written (SQLite; flushed too "
                      "with --sqlite-flush-after-commit false), or the COMMIT's round trip, which waits for the WAL "
                      "flush (PostgreSQL).",
                      stats.commit_finish_us, stats.commits);
    append_summary_us(text, "parley_store_flush_seconds",
                      "Flushes of committed write batches to the disk after their COMMIT, each covering every "
                      "batch committed before it began (SQLite's WAL fdatasync, unless --sqlite-flush-after-commit "
                      "false; none on PostgreSQL).",
                      stats.flush_us, stats.flushes);
    HttpResponse r;
    r.body = std::move(text);
    return done(std::move(r));
  }
  if (path.rfind("/media/", 0) == 0) return route_signed_media(req, done);
  if (path.rfind("/admin/", 0) == 0) return route_admin(req, done);
  if (path.rfind("/api/", 0) != 0) return done(error_response(route_not_found()));
  if (Status s = check_cross_site(req, true); !s) return done(error_response(s.error()));

  ops::RouteMatch match = ops::find_route(req.method, path);
  ops::Call call{&services_, {}, 0, nullptr, req.remote_address};
  if (match.op && !match.op->authenticated) return run_operation(*match.op, call, match.params, req, done);
  // A route that needs no login answers a wrong method before asking for one.
  if (!match.op && match.same_path && !match.same_path->authenticated)
    return done(error_response(method_not_allowed()));

  // Everything else needs a login, also to learn that a route does not exist.
  auto who = chat_.authenticate(bearer_token(req.authorization));
  if (!who) return done(error_response(who.error()));
  // Sending a message has its own limit; every other authenticated request is counted.
  if (!match.op || match.op->bucket != ops::Bucket::kSend)
    if (Status admitted = chat_.admit_request(*who); !admitted) return done(error_response(admitted.error()));
  if (match.op) {
    call.who = std::move(*who);
    return run_operation(*match.op, call, match.params, req, done);
  }
  if (match.same_path) return done(error_response(method_not_allowed()));
  std::vector<std::string_view> seg = split_path(path);  // {"api","v1",...}
  if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1") {
    seg.erase(seg.begin(), seg.begin() + 2);
    if (route_media(*who, req, seg, done)) return;
    if (route_export(*who, req, seg, done)) return;
  }
  done(error_response(route_not_found()));
}

}  // namespace parley::api
