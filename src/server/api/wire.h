// JSON encoding of the protocol's objects and frames (docs/protocol.md, "Objects").
// Pure functions; thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.h"
#include "server/store/store.h"

namespace parley::api::wire {

boost::json::object user(const store::UserRecord& u);
// A message as its JSON text, and the same parsed. One encoding (json_writer.h) makes both.
std::string message_json(const store::MessageRecord& m);
boost::json::object message(const store::MessageRecord& m);
// Appends the JSON array of `ms` to `out`.
void append_messages(std::string& out, const std::vector<store::MessageRecord>& ms);
// {"messages":[...],"has_more":...}: a page of history, media or changes.
std::string messages_page(const std::vector<store::MessageRecord>& ms, bool has_more);
// The image object of an upload, the same as a message's "image".
boost::json::object media(const store::MediaRecord& m);
boost::json::object member(const store::MemberRecord& m);
// {"message", "snippet": [{"text", "match"?}...], "rank"}
boost::json::object search_hit(const store::SearchHit& hit);
// `viewer_id` decides `peer` and `unread`. Its JSON text, and the same parsed (one encoding).
std::string conversation_json(const store::ConversationRecord& c, int64_t viewer_id);
boost::json::object conversation(const store::ConversationRecord& c, int64_t viewer_id);
// {"conversation":...}, with `"created":...` after it when `created` is set: the answer of
// the operations that return one conversation.
std::string conversation_answer(const store::ConversationRecord& c, int64_t viewer_id,
                                std::optional<bool> created = std::nullopt);
// Appends the JSON array of `cs` to `out`.
void append_conversations(std::string& out, const std::vector<store::ConversationRecord>& cs, int64_t viewer_id);

// {"error":{"code":...,"message":...}}
std::string error_body(const Error& e);
// {"type":"error","id":...,"code":...,"message":...[,"retry_after_ms":...]}; id may be null.
std::string error_frame(const boost::json::value& id, const Error& e);

// Serialises a frame once, for sharing between recipients.
std::shared_ptr<const std::string> frame(const boost::json::object& o);

}  // namespace parley::api::wire
