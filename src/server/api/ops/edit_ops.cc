// Editing, deleting, message changes and search (docs/protocol.md, "Editing and deleting",
// "Search").
#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

struct Edit {
  struct Request {
    AtMessage::Request at;
    std::string text;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto at, AtMessage::parse(a));
    PARLEY_ARG(auto text, a.required_string("text"));
    return Request{at, std::move(text)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.edit_message(
        c.who, r.at.conversation_id, r.at.seq, std::move(r.text),
        replying<store::MessageChange>(std::move(reply), [](const auto& x) {
          return ok_encoded(R"({"message":)" + wire::message_json(x.message) +
                            (x.changed ? R"(,"changed":true})" : R"(,"changed":false})"));
        }));
  }
};

struct Delete {
  struct Request {
    AtMessage::Request at;
    chat::DeleteScope scope;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto at, AtMessage::parse(a));
    PARLEY_ARG(auto scope, a.required_string("for"));
    if (scope == "me") return Request{at, chat::DeleteScope::kForMe};
    if (scope == "everyone") return Request{at, chat::DeleteScope::kForEveryone};
    return Error::make(Errc::kInvalidArgument, "'for' must be \"me\" or \"everyone\"");
  }
  static void run(const Call& c, Request r, Reply reply) {
    c.services->chat.delete_message(c.who, r.at.conversation_id, r.at.seq, r.scope,
                                    replying<chat::Done>(std::move(reply), [](const auto&) { return ok(); }));
  }
};

struct Changes {
  struct Request {
    int64_t conversation_id, since;
    int limit;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto since, a.optional_int("since", 0));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 200));
    return Request{conv, since.value_or(0), static_cast<int>(limit.value_or(100))};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto page = c.services->chat.message_changes(c.who, r.conversation_id, r.since, r.limit);
    if (!page) return reply(page.error());
    reply(ok_encoded(wire::messages_page(page->items, page->has_more)));
  }
};

struct Search {
  using Request = store::SearchQuery;
  static Result<Request> parse(const Args& a) {
    Request q;
    PARLEY_ARG(auto text, a.required_string("q"));
    PARLEY_ARG(auto conv, a.optional_int("conversation_id", 1));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 100));
    PARLEY_ARG(auto offset, a.optional_int("offset", 0, 1000));
    PARLEY_ARG(auto prefix, a.optional_bool("prefix"));
    q.text = std::move(text);
    q.conversation_id = conv;
    q.limit = static_cast<int>(limit.value_or(20));
    q.offset = static_cast<int>(offset.value_or(0));
    q.prefix = prefix.value_or(true);
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
