// Shared by the HTTP routes and the WebSocket frames of edits, deletions and search.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "server/chat/service.h"

namespace parley::api {

// {"results": [search_hit...], "has_more", "next_offset" (when has_more)}.
boost::json::object search_page_json(const store::Page<store::SearchHit>& page, int offset);
// "me" | "everyone"; else kInvalidArgument.
Result<chat::DeleteScope> parse_delete_scope(std::string_view value);

}  // namespace parley::api
