// Small JSON conversions shared by the engine's files: errors to and from the protocol's
// shapes, users, and lenient field reads of the server's (trusted, documented) objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "client/store.h"
#include "common/error.h"

namespace parley::client {

// {"type": "error", "code": "<protocol code>", "message": ...} (+ retry_after_ms when set).
boost::json::object error_object(const Error& error);
// The error carried by a server answer: an HTTP body {"error": {...}} or a WebSocket error
// frame. An unknown code becomes kInternal with the code kept in the message.
Error error_from_json(const boost::json::object& answer);
// The Errc whose wire name is `name`; kInternal when none is.
Errc errc_from_name(std::string_view name);

// Field `key` of `o` as an integer, or `fallback` when absent, null or not a number.
int64_t int_field(const boost::json::object& o, std::string_view key, int64_t fallback = 0);
std::string string_field(const boost::json::object& o, std::string_view key);
bool bool_field(const boost::json::object& o, std::string_view key);

User user_from_json(const boost::json::object& user);
boost::json::object user_view(const User& user);
Message message_from_json(const boost::json::object& message);

}  // namespace parley::client
