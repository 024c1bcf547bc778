// The table of every operation (docs/protocol.md, "Index of operations"), and lookups by
// WebSocket frame type and by HTTP method and path. Built once; thread-safe to read.
#pragma once

#include <string_view>
#include <vector>

#include "server/api/ops/operation.h"

namespace parley::api::ops {

// Every operation, each once.
const std::vector<Operation>& table();

// The operation a WebSocket frame type names, or null.
const Operation* find_frame(std::string_view type);

// Frames the WebSocket itself answers, outside the table: {type, answer}.
struct TransportFrame {
  std::string_view frame, answer;
  Runs runs;
};
const std::vector<TransportFrame>& transport_frames();  // auth -> ready, ping -> pong

// The HTTP routes served outside the table, as "METHOD /path" with {parameters}: the
// operational endpoints, the WebSocket upgrade and photos (their bodies stream).
const std::vector<std::string_view>& raw_routes();

struct RouteMatch {
  const Operation* op = nullptr;         // null: no route has this path with this method
  const Operation* same_path = nullptr;  // an operation with this path (another method: 405)
  Args::PathParams params;               // views into the path
};
// The operation of an HTTP request; `path` is the raw path ("/api/v1/...").
RouteMatch find_route(std::string_view method, std::string_view path);

// Each feature's operations (one file each).
void add_account_ops(std::vector<Operation>& ops);
void add_messaging_ops(std::vector<Operation>& ops);
void add_edit_ops(std::vector<Operation>& ops);
void add_reaction_ops(std::vector<Operation>& ops);
void add_group_ops(std::vector<Operation>& ops);
void add_social_ops(std::vector<Operation>& ops);
void add_presence_ops(std::vector<Operation>& ops);
void add_push_ops(std::vector<Operation>& ops);
void add_call_ops(std::vector<Operation>& ops);

}  // namespace parley::api::ops
