// Editing, deleting, message changes and search (docs/protocol.md, "Editing and deleting",
// "Search").
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

struct Edit {
  struct Request {
    int64_t conversation_id, seq;
    std::string text;
  };
  static Result<Request> parse(const Args& a) {
    auto conv = a.required_int("conversation_id", 1);
    if (!conv) return conv.error();
    auto seq = a.required_int("seq", 1);
    if (!seq) return seq.error();
    auto text = a.required_string("text");
    if (!text) return text.error();
    return Request{*conv, *seq, std::move(*text)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.edit_message(c.who, r.conversation_id, r.seq, std::move(r.text),
                                  replying<store::MessageChange>(std::move(reply), [](const auto& x) {
                                    return ok({{"message", wire::message(x.message)}, {"changed", x.changed}});
                                  }));
  }
};

struct Delete {
  struct Request {
    int64_t conversation_id, seq;
    chat::DeleteScope scope;
  };
  static Result<Request> parse(const Args& a) {
    auto conv = a.required_int("conversation_id", 1);
    if (!conv) return conv.error();
    auto seq = a.required_int("seq", 1);
    if (!seq) return seq.error();
    auto scope = a.required_string("for");
    if (!scope) return scope.error();
    if (*scope == "me") return Request{*conv, *seq, chat::DeleteScope::kForMe};
    if (*scope == "everyone") return Request{*conv, *seq, chat::DeleteScope::kForEveryone};
    return Error::make(Errc::kInvalidArgument, "'for' must be \"me\" or \"everyone\"");
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.delete_message(c.who, r.conversation_id, r.seq, r.scope,
                                    replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Changes {
  struct Request {
    int64_t conversation_id, since;
    int limit;
  };
  static Result<Request> parse(const Args& a) {
    auto conv = a.required_int("conversation_id", 1);
    if (!conv) return conv.error();
    auto since = a.optional_int("since", 0);
    if (!since) return since.error();
    auto limit = a.optional_int("limit", 1, 200);
    if (!limit) return limit.error();
    return Request{*conv, since->value_or(0), static_cast<int>(limit->value_or(100))};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto page = c.services->chat.message_changes(c.who, r.conversation_id, r.since, r.limit);
    if (!page) return reply(page.error());
    reply(ok({{"messages", wire::messages(page->items)}, {"has_more", page->has_more}}));
  }
};

struct Search {
  using Request = store::SearchQuery;
  static Result<Request> parse(const Args& a) {
    Request q;
    auto text = a.required_string("q");
    if (!text) return text.error();
    auto conv = a.optional_int("conversation_id", 1);
    if (!conv) return conv.error();
    auto limit = a.optional_int("limit", 1, 100);
    if (!limit) return limit.error();
    auto offset = a.optional_int("offset", 0, 1000);
    if (!offset) return offset.error();
    auto prefix = a.optional_bool("prefix");
    if (!prefix) return prefix.error();
    q.text = std::move(*text);
    q.conversation_id = *conv;
    q.limit = static_cast<int>(limit->value_or(20));
    q.offset = static_cast<int>(offset->value_or(0));
    q.prefix = prefix->value_or(true);
    return q;
  }
  static void run(const Call& c, Request q, Reply reply) {
    auto page = c.services->chat.search(c.who, q);
    if (!page) return reply(page.error());
    json::array results;
    for (const auto& hit : page->items) results.push_back(wire::search_hit(hit));
    // next_offset only while there is more: its absence ends the paging.
    json::object o{{"results", std::move(results)}, {"has_more", page->has_more}};
    if (page->has_more) o["next_offset"] = q.offset + static_cast<int64_t>(page->items.size());
    reply(ok(std::move(o)));
  }
};

}  // namespace

void add_edit_ops(std::vector<Operation>& ops) {
  ops.push_back({"edit", "edit", "edited", "PATCH", "/api/v1/conversations/{conversation_id}/messages/{seq}",
                 Runs::kCommitter, Body::kRequired, Bucket::kOther, true, parser<Edit>()});
  ops.push_back({"delete", "delete", "ok", "DELETE", "/api/v1/conversations/{conversation_id}/messages/{seq}",
                 Runs::kCommitter, Body::kNone, Bucket::kOther, true, parser<Delete>()});
  ops.push_back({"changes", "changes", "changes", "GET", "/api/v1/conversations/{conversation_id}/changes",
                 Runs::kWorker, Body::kNone, Bucket::kOther, true, parser<Changes>()});
  ops.push_back({"search", "search", "search", "GET", "/api/v1/search", Runs::kWorker, Body::kNone,
                 Bucket::kOther, true, parser<Search>()});
}

}  // namespace parley::api::ops
