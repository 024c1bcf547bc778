// JsonWriter: appends compact JSON to a string in the order it is written, without building
// a tree first. For the answers that carry many messages or conversations (history pages,
// sync, the chat list) and for the frames written once per message (the send's ack, the
// `message` event); everything else builds boost::json values.
//
// Contract: the caller writes a well-formed sequence: inside an object, key() then exactly
// one value (a scalar, raw(), or a nested object/array); inside an array, values. The
// writer only inserts the commas and escapes strings. raw() must be one complete JSON value.
// Strings are written as given (callers pass valid UTF-8, as the protocol validates every
// text it stores); `"`, `\` and the control characters below 0x20 are escaped.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::api {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() {
    separate();
    out_.push_back('{');
    comma_ = false;
    return *this;
  }
  JsonWriter& end_object() {
    out_.push_back('}');
    comma_ = true;
    return *this;
  }
  JsonWriter& begin_array() {
    separate();
    out_.push_back('[');
    comma_ = false;
    return *this;
  }
  JsonWriter& end_array() {
    out_.push_back(']');
    comma_ = true;
    return *this;
  }
  // An object's key; the next thing written is its value.
  JsonWriter& key(std::string_view k) {
    separate();
    append_string(k);
    out_.push_back(':');
    comma_ = false;
    return *this;
  }

  JsonWriter& value(std::string_view s) {
    separate();
    append_string(s);
    comma_ = true;
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { return raw(b ? "true" : "false"); }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& value(T n) {
    separate();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out_.append(buf, end);
    comma_ = true;
    return *this;
  }
  JsonWriter& null() { return raw("null"); }
  // One complete, already encoded JSON value.
  JsonWriter& raw(std::string_view json) {
    separate();
    out_.append(json);
    comma_ = true;
    return *this;
  }

  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

 private:
  void separate() {
    if (comma_) out_.push_back(',');
  }
  void append_string(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.push_back('"');
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          out_ += "\\u00";
          out_.push_back(kHex[c >> 4]);
          out_.push_back(kHex[c & 0xF]);
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }

  std::string& out_;
  bool comma_ = false;  // the next value or key needs a comma before it
};

}  // namespace parley::api
