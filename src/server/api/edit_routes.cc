// HTTP routes for editing and deleting messages, message changes and search
// (docs/protocol.md, "Editing and deleting" and "Search").
#include "protocol/json_fields.h"
#include "server/api/api.h"
#include "server/api/edits_wire.h"
#include "server/api/http_reply.h"
#include "server/api/query.h"
#include "server/api/wire.h"

namespace parley::api {

namespace json = boost::json;

json::object search_page_json(const store::Page<store::SearchHit>& page, int offset) {
  json::array results;
  for (const auto& hit : page.items) results.push_back(wire::search_hit(hit));
  json::object o{{"results", std::move(results)}, {"has_more", page.has_more}};
  if (page.has_more) o["next_offset"] = offset + static_cast<int64_t>(page.items.size());
  return o;
}

Result<chat::DeleteScope> parse_delete_scope(std::string_view value) {
  if (value == "me") return chat::DeleteScope::kForMe;
  if (value == "everyone") return chat::DeleteScope::kForEveryone;
  return Error::make(Errc::kInvalidArgument, "'for' must be \"me\" or \"everyone\"");
}

bool Api::route_edits(const chat::Principal& who, HttpRequest& req,
                      const std::vector<std::string_view>& seg, HttpDone& done) {
  const std::string& m = req.method;
  Query q(req.query);
  auto fail = [&](const Error& e) {
    done(error_response(e));
    return true;
  };

  if (seg.size() == 1 && seg[0] == "search") {
    if (m != "GET") return fail(method_not_allowed());
    store::SearchQuery sq;
    auto text = q.get("q");
    if (!text) return fail(Error::make(Errc::kBadRequest, "query parameter 'q' is required"));
    sq.text = std::move(*text);
    if (q.has("conversation_id")) {
      auto c = q.get_int("conversation_id", 0, 1);
      if (!c) return fail(Error::make(Errc::kNotFound, "no such conversation"));
      sq.conversation_id = *c;
    }
    auto limit = q.get_int("limit", 20, 1, 100);
    if (!limit) return fail(limit.error());
    auto offset = q.get_int("offset", 0, 0, 1000);
    if (!offset) return fail(offset.error());
    sq.limit = static_cast<int>(*limit);
    sq.offset = static_cast<int>(*offset);
    auto prefix = q.get_int("prefix", 1, 0, 1);
    if (!prefix) return fail(prefix.error());
    sq.prefix = *prefix == 1;
    auto page = chat_.search(who, sq);
    if (!page) return fail(page.error());
    done(json_response(200, search_page_json(*page, sq.offset)));
    return true;
  }
  if (seg.size() < 3 || seg[0] != "conversations") return false;
  const bool changes = seg.size() == 3 && seg[2] == "changes";
  const bool one_message = seg.size() == 4 && seg[2] == "messages";
  if (!changes && !one_message) return false;
  auto conv_id = protocol::parse_int(seg[1], "conversation id", 1);
  if (!conv_id) return fail(Error::make(Errc::kNotFound, "no such conversation"));

  if (changes) {
    if (m != "GET") return fail(method_not_allowed());
    auto since = q.get_int("since", 0, 0);
    if (!since) return fail(since.error());
    auto limit = q.get_int("limit", 100, 1, 200);
    if (!limit) return fail(limit.error());
    auto page = chat_.message_changes(who, *conv_id, *since, static_cast<int>(*limit));
    if (!page) return fail(page.error());
    done(json_response(200, {{"messages", wire::messages(page->items)},
                             {"has_more", page->has_more}}));
    return true;
  }

  auto seq = protocol::parse_int(seg[3], "seq", 1);
  if (!seq) return fail(Error::make(Errc::kNotFound, "no such message"));
  if (m == "PATCH") {
    auto body = protocol::parse_object(req.body);
    if (!body) return fail(body.error());
    auto text = protocol::required_string(*body, "text");
    if (!text) return fail(text.error());
    chat_.edit_message(who, *conv_id, *seq, std::move(*text),
                       [done](Result<store::MessageChange> r) {
                         if (!r) return done(error_response(r.error()));
                         done(json_response(200, {{"message", wire::message(r->message)},
                                                  {"changed", r->changed}}));
                       });
    return true;
  }
  if (m == "DELETE") {
    auto scope_name = q.get("for");
    if (!scope_name) return fail(Error::make(Errc::kBadRequest, "query parameter 'for' is required"));
    auto scope = parse_delete_scope(*scope_name);
    if (!scope) return fail(scope.error());
    chat_.delete_message(who, *conv_id, *seq, *scope, [done](Result<chat::Done> r) {
      if (!r) return done(error_response(r.error()));
      done(json_response(200, json::object{}));
    });
    return true;
  }
  return fail(method_not_allowed());
}

}  // namespace parley::api
