// Conversations, history, sending, receipts and sync (docs/protocol.md, "Conversations and
// history", "Sending a message", "Receipts", "Sync").
#include <chrono>

#include "server/api/ops/requests.h"
#include "server/api/ops/table.h"
#include "server/api/wire.h"

namespace parley::api::ops {

namespace json = boost::json;

namespace {

struct ChatList {
  struct Request {
    std::optional<store::ChatListCursor> before;
    int limit;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 200));
    PARLEY_ARG(auto before, a.optional_int("before", 0));
    PARLEY_ARG(auto before_id, a.optional_int("before_id", 1));
    if (before_id && !before)
      return Error::make(Errc::kInvalidArgument, "'before_id' needs 'before' (the last row's last_activity)");
    Request r{std::nullopt, static_cast<int>(limit.value_or(50))};
    if (before) r.before = store::ChatListCursor{*before, before_id.value_or(0)};
    return r;
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto page = c.services->chat.conversations(c.who, r.before, r.limit);
    if (!page) return reply(page.error());
    std::string body = R"({"conversations":)";
    wire::append_conversations(body, page->items, c.who.user.id);
    body += page->has_more ? R"(,"has_more":true})" : R"(,"has_more":false})";
    reply(ok_encoded(std::move(body)));
  }
};

struct OpenDirect {
  struct Request {
    std::optional<int64_t> peer_id;
    std::optional<std::string> peer_username;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto peer_id, a.optional_int("peer_id", 1));
    PARLEY_ARG(auto peer_name, a.optional_string("peer_username"));
    return Request{peer_id, std::move(peer_name)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    const int64_t viewer = c.who.user.id;
    c.services->chat.open_direct(
        c.who, r.peer_id, std::move(r.peer_username),
        replying<store::DirectOutcome>(std::move(reply), [viewer](const auto& x) {
          return ok_encoded(wire::conversation_answer(x.conversation, viewer, x.created), x.created ? 201 : 200);
        }));
  }
};

struct GetConversation : InConversation {
  static void run(const Call& c, Request r, Reply reply) {
    auto conv = c.services->chat.conversation(c.who, r.conversation_id);
    if (!conv) return reply(conv.error());
    reply(ok_encoded(wire::conversation_answer(*conv, c.who.user.id)));
  }
};

struct History {
  using Request = store::HistoryQuery;
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto before, a.optional_int("before", 0));
    PARLEY_ARG(auto after, a.optional_int("after", 0));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 200));
    Request q;
    q.conversation_id = conv;
    q.before = before;
    q.after = after;
    q.limit = static_cast<int>(limit.value_or(50));
    return q;
  }
  static void run(const Call& c, Request q, Reply reply) {
    auto page = c.services->chat.history(c.who, q);
    if (!page) return reply(page.error());
    reply(ok_encoded(wire::messages_page(page->items, page->has_more)));
  }
};

// A chat's "media, links and docs" (docs/protocol.md, "Media, links and docs").
struct ConversationMedia {
  using Request = store::MediaQuery;
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto category, a.optional_string("category"));
    PARLEY_ARG(auto before, a.optional_int("before", 1));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 200));
    Request q;
    q.conversation_id = conv;
    const std::string c = category.value_or("media");
    if (c == "media") q.category = store::MediaCategory::kMedia;
    else if (c == "docs") q.category = store::MediaCategory::kDocs;
    else if (c == "voice") q.category = store::MediaCategory::kVoice;
    else if (c == "links") q.category = store::MediaCategory::kLinks;
    else return Error::make(Errc::kInvalidArgument, "category must be media, docs, voice or links");
    q.before = before;
    q.limit = static_cast<int>(limit.value_or(50));
    return q;
  }
  static void run(const Call& c, Request q, Reply reply) {
    auto page = c.services->chat.conversation_media(c.who, q);
    if (!page) return reply(page.error());
    reply(ok_encoded(wire::messages_page(page->items, page->has_more)));
  }
};

struct Send {
  using Request = chat::SendRequest;
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto client_id, a.required_string("client_id"));
    PARLEY_ARG(auto media_id, a.optional_string("media_id"));
    // With a photo the text is its caption and may be left out.
    PARLEY_ARG(auto text, a.optional_string("text"));
    PARLEY_ARG(auto reply_to, a.optional_int("reply_to", 1));
    // A voice clip's duration and waveform (chat/attachments.h checks them).
    PARLEY_ARG(auto duration_ms, a.optional_int("duration_ms", 1));
    PARLEY_ARG(auto waveform, a.optional_string("waveform"));
    if (!text.has_value() && !media_id.has_value())
      return Error::make(Errc::kBadRequest, "field 'text' is required");
    Request r;
    r.conversation_id = conv;
    r.client_id = std::move(client_id);
    r.text = text.value_or("");
    r.media_id = media_id.value_or("");
    r.reply_to = reply_to.value_or(0);
    r.duration_ms = duration_ms.value_or(0);
    r.waveform = waveform.value_or("");
    return r;
  }
  static void run(const Call& c, Request r, Reply reply) {
    const auto started = std::chrono::steady_clock::now();
    Metrics& metrics = c.services->metrics;
    c.services->chat.send(
        c.who, std::move(r), c.connection_id,
        [reply = std::move(reply), started, &metrics](Result<store::AppendOutcome> x) {
          if (!x) return reply(x.error());
          if (!x->duplicate)
            metrics.send_to_durable_seconds.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
          std::string body = x->duplicate ? R"({"duplicate":true,"message":)" : R"({"duplicate":false,"message":)";
          body += wire::message_json(x->message);
          body += '}';
          reply(ok_encoded(std::move(body)));
        });
  }
};

// Raises the caller's watermarks: the HTTP receipts route and the delivered/read frames.
void mark(const Call& c, int64_t conversation_id, int64_t delivered, int64_t read, Reply reply) {
  c.services->chat.mark(c.who, conversation_id, delivered, read,
                        replying<store::ReceiptOutcome>(std::move(reply), [](const auto&) { return ok(); }));
}

struct Receipts {
  struct Request {
    int64_t conversation_id, delivered, read;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto conv, a.required_int("conversation_id", 1));
    PARLEY_ARG(auto delivered, a.optional_int("delivered_seq", 1));
    PARLEY_ARG(auto read, a.optional_int("read_seq", 1));
    if (!delivered.has_value() && !read.has_value())
      return Error::make(Errc::kBadRequest, "delivered_seq or read_seq is required");
    return Request{conv, delivered.value_or(0), read.value_or(0)};
  }
  static void run(const Call& c, Request r, Reply reply) {
    mark(c, r.conversation_id, r.delivered, r.read, std::move(reply));
  }
};

struct Delivered : AtMessage {
  static void run(const Call& c, Request r, Reply reply) {
    mark(c, r.conversation_id, r.seq, 0, std::move(reply));
  }
};
struct Read : AtMessage {
  static void run(const Call& c, Request r, Reply reply) {
    mark(c, r.conversation_id, 0, r.seq, std::move(reply));
  }
};

struct Sync {
  struct Request {
    int64_t since;
    int limit;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(auto since, a.optional_int("since", 0));
    PARLEY_ARG(auto limit, a.optional_int("limit", 1, 200));
    return Request{since.value_or(0), static_cast<int>(limit.value_or(100))};
  }
  static void run(const Call& c, Request r, Reply reply) {
    auto page = c.services->chat.sync(c.who, r.since, r.limit);
    if (!page) return reply(page.error());
    std::string body = R"({"version":)" + std::to_string(page->version);
    body += page->has_more ? R"(,"has_more":true,"conversations":)" : R"(,"has_more":false,"conversations":)";
    wire::append_conversations(body, page->conversations, c.who.user.id);
    body += '}';
    reply(ok_encoded(std::move(body)));
  }
};

}  // namespace

void add_messaging_ops(std::vector<Operation>& ops) {
  ops.push_back({"conversations", "conversations", "conversations", "GET", "/api/v1/conversations",
                 Runs::kWorker, Body::kNone, Bucket::kOther, true, parser<ChatList>()});
  ops.push_back({"open_direct", "", "", "POST", "/api/v1/conversations", Runs::kCommitter, Body::kRequired,
                 Bucket::kOther, true, parser<OpenDirect>()});
  ops.push_back({"conversation", "", "", "GET", "/api/v1/conversations/{conversation_id}", Runs::kWorker,
                 Body::kNone, Bucket::kOther, true, parser<GetConversation>()});
  ops.push_back({"history", "history", "history", "GET", "/api/v1/conversations/{conversation_id}/messages",
                 Runs::kWorker, Body::kNone, Bucket::kOther, true, parser<History>()});
  ops.push_back({"conversation_media", "conversation_media", "conversation_media", "GET",
                 "/api/v1/conversations/{conversation_id}/media", Runs::kWorker, Body::kNone, Bucket::kOther,
                 true, parser<ConversationMedia>()});
  ops.push_back({"send", "send", "ack", "POST", "/api/v1/conversations/{conversation_id}/messages",
                 Runs::kCommitter, Body::kRequired, Bucket::kSend, true, parser<Send>()});
  ops.push_back({"receipts", "", "", "POST", "/api/v1/conversations/{conversation_id}/receipts",
                 Runs::kCommitter, Body::kRequired, Bucket::kOther, true, parser<Receipts>()});
  ops.push_back({"delivered", "delivered", "ok", "", "", Runs::kCommitter, Body::kNone, Bucket::kOther, true,
                 parser<Delivered>()});
  ops.push_back(
      {"read", "read", "ok", "", "", Runs::kCommitter, Body::kNone, Bucket::kOther, true, parser<Read>()});
  ops.push_back({"sync", "sync", "sync", "GET", "/api/v1/sync", Runs::kWorker, Body::kNone, Bucket::kOther,
                 true, parser<Sync>()});
}

}  // namespace parley::api::ops
