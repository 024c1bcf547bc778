// Fuzz target: the bytes of an HTTP request, read as serve_http (net/http_session.cc) reads
// them: Beast's request_parser for the head with a 16 KiB header limit and no body limit,
// a declared body above 64 KiB refused, then the body with the 64 KiB limit; the target is
// then cut into path and query at the first '?' and goes through the API's parsing
// (api/query.h: split_path, percent_decode, Query, and the integer segments of the routes),
// and its Range header through api::parse_range.
// Properties: no crash, no sanitizer report; a completed request keeps both limits; path
// segments are non-empty views into the path that together hold all of it but its
// slashes; decoding never grows a string; integers come back within their bounds; a range
// lies inside the body.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "check.h"
#include "protocol/json_fields.h"
#include "server/api/byte_range.h"
#include "server/api/query.h"

namespace {

namespace http = boost::beast::http;
namespace api = parley::api;
using parley::Errc;

// The server's limits (net/http_session.cc, and http-body-max-bytes' default).
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;

// Feeds `in` from `used` to `parser` until it stops; true when `done(parser)` holds.
// An input that ends early is what a client who stops sending produces: the server waits
// and times out, so here it is simply the end.
template <class Parser, class Done>
bool feed(Parser& parser, std::string_view in, std::size_t& used, Done done) {
  boost::beast::error_code ec;
  while (!done(parser)) {
    std::size_t n = parser.put(boost::asio::buffer(in.data() + used, in.size() - used), ec);
    used += n;
    // need_more: what is left is not enough (Beast takes no partial line), so the
    // server would wait for bytes that never come.
    if (ec || n == 0) return false;
  }
  return true;
}

void check_query(std::string_view query) {
  api::Query q(query);
  for (std::string_view key : {"limit", "before", "after", "since", "offset", "q", "prefix",
                               "conversation_id", "for", "u", "e", "s"}) {
    FUZZ_CHECK(q.has(key) == q.get(key).has_value(), "Query: has and get disagree");
    auto n = q.get_int(key, 50, 1, 200);
    if (n)
      FUZZ_CHECK(*n >= 1 && *n <= 200, "Query::get_int out of range");
    else
      FUZZ_CHECK(n.error().code == Errc::kInvalidArgument && q.has(key), "Query::get_int: undocumented error");
  }
}

// A download's Range header against bodies of several sizes: a range served always lies
// inside the body.
void check_range(std::string_view header) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, UINT64_MAX}) {
    auto range = api::parse_range(header, size);
    if (!range || !*range) continue;
    const api::ByteRange& r = **range;
    FUZZ_CHECK(r.length >= 1 && r.first < size && r.length <= size - r.first,
               "parse_range: a range outside the body");
  }
}

void check_target(std::string_view target) {
  // As serve_http and api_request do.
  std::size_t mark = target.find('?');
  std::string_view path = target.substr(0, mark);
  std::optional<std::string_view> query;
  if (mark != std::string_view::npos) query = target.substr(mark + 1);

  auto segments = api::split_path(path);
  std::size_t bytes = 0;
  for (std::string_view s : segments) {
    FUZZ_CHECK(!s.empty() && s.find('/') == std::string_view::npos, "split_path: bad segment");
    FUZZ_CHECK(s.data() >= path.data() && s.data() + s.size() <= path.data() + path.size(),
               "split_path: a segment outside the path");
    bytes += s.size();
    std::string decoded = api::percent_decode(s);
    FUZZ_CHECK(decoded.size() <= s.size(), "percent_decode grew a string");
    if (s.find_first_of("%+") == std::string_view::npos)
      FUZZ_CHECK(decoded == s, "percent_decode changed a plain string");
    auto id = parley::protocol::parse_int(s, "id", 1);
    if (id) FUZZ_CHECK(*id >= 1, "parse_int below its minimum");
    else FUZZ_CHECK(id.error().code == Errc::kInvalidArgument, "parse_int: undocumented error");
  }
  std::size_t slashes = 0;
  for (char c : path) slashes += c == '/';
  FUZZ_CHECK(bytes + slashes == path.size(), "split_path lost or invented bytes");
  if (query) check_query(*query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t used = 0;

  http::request_parser<http::empty_body> head;
  head.header_limit(kHeaderLimit);
  head.body_limit(boost::none);
  if (!feed(head, in, used, [](auto& p) { return p.is_header_done(); })) return 0;
  FUZZ_CHECK(used <= kHeaderLimit, "a head above the header limit was accepted");

  const auto& h = head.get();
  check_target(std::string_view(h.target().data(), h.target().size()));
  // The fields the server reads from a head, as it reads them.
  for (auto field : {http::field::authorization, http::field::if_none_match, http::field::origin,
                     http::field::host, http::field::expect})
    (void)std::string(h[field]);
  check_range(std::string(h[http::field::range]));
  (void)h.keep_alive();

  if (head.content_length() && *head.content_length() > kBodyLimit) return 0;  // 413
  http::request_parser<http::string_body> parser{std::move(head)};
  parser.body_limit(kBodyLimit);
  if (!feed(parser, in, used, [](auto& p) { return p.is_done(); })) return 0;
  http::request<http::string_body> req = parser.release();
  FUZZ_CHECK(req.body().size() <= kBodyLimit, "a body above the body limit was accepted");
  return 0;
}
