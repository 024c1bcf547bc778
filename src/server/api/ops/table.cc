#include "server/api/ops/table.h"

#include "server/api/query.h"

namespace parley::api::ops {

const std::vector<Operation>& table() {
  static const std::vector<Operation> ops = [] {
    std::vector<Operation> all;
    add_account_ops(all);
    add_messaging_ops(all);
    add_edit_ops(all);
    add_reaction_ops(all);
    add_group_ops(all);
    add_social_ops(all);
    add_presence_ops(all);
    add_push_ops(all);
    add_call_ops(all);
    return all;
  }();
  return ops;
}

const Operation* find_frame(std::string_view type) {
  for (const Operation& op : table())
    if (!op.frame.empty() && op.frame == type) return &op;
  return nullptr;
}

const std::vector<TransportFrame>& transport_frames() {
  static const std::vector<TransportFrame> frames = {{"auth", "ready", Runs::kWorker},
                                                     {"ping", "pong", Runs::kIoThread}};
  return frames;
}

const std::vector<std::string_view>& raw_routes() {
  static const std::vector<std::string_view> routes = {
      "GET /healthz",
      "GET /readyz",
      "GET /metrics",
      "GET /api/v1/ws",
      "POST /api/v1/media",
      "GET /api/v1/media/{media_id}",
      "GET /api/v1/media/{media_id}/full",
      "GET /api/v1/media/{media_id}/thumbnail",
      "GET /api/v1/media/{media_id}/poster",
      "GET /media/{media_id}/{variant}",
      "GET /api/v1/me/export",
      "GET /admin/v1/stats",
      "GET /admin/v1/users",
      "POST /admin/v1/users",
      "GET /admin/v1/users/{username}",
      "DELETE /admin/v1/users/{username}",
      "PUT /admin/v1/users/{username}/password",
      "POST /admin/v1/users/{username}/disable",
      "POST /admin/v1/users/{username}/enable",
      "DELETE /admin/v1/users/{username}/sessions",
      "GET /",
      "GET /{path}",
  };
  return routes;
}

namespace {

// Matches path segments against a pattern's; {name} captures a segment.
bool match(const std::vector<std::string_view>& pattern, const std::vector<std::string_view>& seg,
           Args::PathParams& params) {
  if (pattern.size() != seg.size()) return false;
  Args::PathParams found;
  for (std::size_t i = 0; i < seg.size(); ++i) {
    std::string_view p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}')
      found.emplace_back(p.substr(1, p.size() - 2), seg[i]);
    else if (p != seg[i])
      return false;
  }
  params = std::move(found);
  return true;
}

}  // namespace

RouteMatch find_route(std::string_view method, std::string_view path) {
  RouteMatch m;
  const std::vector<std::string_view> seg = split_path(path);
  for (const Operation& op : table()) {
    if (op.method.empty()) continue;
    Args::PathParams params;
    if (!match(split_path(op.path), seg, params)) continue;
    if (!m.same_path) m.same_path = &op;
    if (op.method == method) {
      m.op = &op;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace parley::api::ops
