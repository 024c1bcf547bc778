// WsChannel: edit, delete, changes and search frames (docs/protocol.md, "Editing and
// deleting" and "Search"). Same meaning as the HTTP routes.
#include "protocol/json_fields.h"
#include "server/api/edits_wire.h"
#include "server/api/wire.h"
#include "server/api/ws_channel.h"

namespace parley::api {

namespace json = boost::json;

bool WsChannel::dispatch_edits(const std::string& type, json::object& f, json::value id) {
  if (type != "edit" && type != "delete" && type != "changes" && type != "search") return false;
  const chat::Principal& who = *principal_;
  auto self = shared_from_this();

  if (type == "search") {
    store::SearchQuery q;
    auto text = protocol::required_string(f, "q");
    if (!text) return send_error(id, text.error()), true;
    auto conv = protocol::optional_int(f, "conversation_id", 1);
    if (!conv) return send_error(id, conv.error()), true;
    auto limit = protocol::optional_int(f, "limit", 1, 100);
    if (!limit) return send_error(id, limit.error()), true;
    auto offset = protocol::optional_int(f, "offset", 0, 1000);
    if (!offset) return send_error(id, offset.error()), true;
    q.text = std::move(*text);
    q.conversation_id = *conv;
    q.limit = static_cast<int>(limit->value_or(20));
    q.offset = static_cast<int>(offset->value_or(0));
    if (const auto* p = f.if_contains("prefix")) {
      if (!p->is_bool()) return send_error(id, Error::make(Errc::kBadRequest, "field 'prefix' must be true or false")), true;
      q.prefix = p->as_bool();
    }
    if (!begin_request(id)) return true;
    api_.worker().post([self, who, id, q] {
      auto page = self->api_.chat().search(who, q);
      self->end_request();
      if (!page) return self->send_error(id, page.error());
      json::object answer = search_page_json(*page, q.offset);
      answer["type"] = "search";
      answer["id"] = id;
      self->send_json(answer);
    });
    return true;
  }

  auto conv = protocol::required_int(f, "conversation_id", 1);
  if (!conv) return send_error(id, conv.error()), true;
  if (type == "changes") {
    auto since = protocol::optional_int(f, "since", 0);
    if (!since) return send_error(id, since.error()), true;
    auto limit = protocol::optional_int(f, "limit", 1, 200);
    if (!limit) return send_error(id, limit.error()), true;
    if (!begin_request(id)) return true;
    const int64_t conversation_id = *conv;
    const int64_t from = since->value_or(0);
    const int max = static_cast<int>(limit->value_or(100));
    api_.worker().post([self, who, id, conversation_id, from, max] {
      auto page = self->api_.chat().message_changes(who, conversation_id, from, max);
      self->end_request();
      if (!page) return self->send_error(id, page.error());
      self->send_json({{"type", "changes"},
                       {"id", id},
                       {"messages", wire::messages(page->items)},
                       {"has_more", page->has_more}});
    });
    return true;
  }

  auto seq = protocol::required_int(f, "seq", 1);
  if (!seq) return send_error(id, seq.error()), true;
  if (type == "edit") {
    auto text = protocol::required_string(f, "text");
    if (!text) return send_error(id, text.error()), true;
    if (!begin_request(id)) return true;
    api_.chat().edit_message(who, *conv, *seq, std::move(*text),
                             [self, id](Result<store::MessageChange> r) {
                               self->end_request();
                               if (!r) return self->send_error(id, r.error());
                               self->send_json({{"type", "edited"},
                                                {"id", id},
                                                {"changed", r->changed},
                                                {"message", wire::message(r->message)}});
                             });
    return true;
  }
  auto scope_name = protocol::required_string(f, "for");
  if (!scope_name) return send_error(id, scope_name.error()), true;
  auto scope = parse_delete_scope(*scope_name);
  if (!scope) return send_error(id, scope.error()), true;
  if (!begin_request(id)) return true;
  api_.chat().delete_message(who, *conv, *seq, *scope, [self, id](Result<chat::Done> r) {
    self->end_request();
    if (!r) return self->send_error(id, r.error());
    self->send_json({{"type", "ok"}, {"id", id}});
  });
  return true;
}

}  // namespace parley::api
