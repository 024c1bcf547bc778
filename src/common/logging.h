// How parleyd writes its log (spdlog's default logger, standard error).
//
// "text": "[2026-12-02 23:50:01.123] [info] message".
// "json": one object per line, {"ts":"2026-12-02T23:50:01.123Z","level":"info","msg":"..."},
// the message escaped as a JSON string (control characters, quotes, backslashes and invalid
// UTF-8 bytes as \u escapes), so a log shipper can read every line whatever it contains.
//
// What is never logged (docs/architecture.md, "Logs"): message text, passwords, tokens,
// signed media links and query strings. Log sites name ids, not content.
#pragma once

#include <string_view>

#include "common/result.h"

namespace parley {

// Sets the level ("trace", "debug", "info", "warn", "error", "critical", "off") and the
// format ("text" or "json"). Errors: kInvalidArgument naming the bad value.
Status configure_logging(std::string_view level, std::string_view format);

// Appends `s` to `out` as the inside of a JSON string (without the quotes). Bytes that
// are not valid UTF-8 become \u00XX of the byte, so the result is always valid JSON.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace parley
