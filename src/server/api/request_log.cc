#include "server/api/request_log.h"

#include <cstdio>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "common/error.h"

namespace parley::api {

namespace {

std::string printable(std::string_view s, std::size_t max) {
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (c < 0x21 || c > 0x7E) c = '?';
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

RequestLog::RequestLog() {
  uint32_t r = randombytes_random();
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", r);
  prefix_ = hex;
}

bool RequestLog::acceptable(std::string_view offered) {
  if (offered.empty() || offered.size() > 64) return false;
  for (char c : offered) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RequestLog::request_id(std::string_view offered) {
  if (acceptable(offered)) return std::string(offered);
  // Random, not a counter: consecutive ids would tell any client how much traffic the
  // server carries between two of its requests.
  uint64_t r = 0;
  randombytes_buf(&r, sizeof r);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%016llx", prefix_.c_str(), static_cast<unsigned long long>(r));
  return buf;
}

RequestLog::Entry RequestLog::begin(const HttpRequest& request) {
  return Entry{request_id(request.request_id), request.method, request.path, request.remote_address,
               std::chrono::steady_clock::now()};
}

void RequestLog::finish(const Entry& entry, HttpResponse& response) {
  response.headers.emplace_back("X-Request-Id", entry.id);
  if (!spdlog::should_log(spdlog::level::info)) return;
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - entry.started).count();
  // The method and path come from the client: bounded, and anything but printable ASCII
  // shown as '?', so no request can forge or break a log line in either format.
  const std::string method = printable(entry.method, 16);
  const std::string path = printable(entry.path, 256);
  if (response.error) {
    spdlog::info("http req={} method={} path={} status={} error={} ms={:.1f} from={}", entry.id, method, path,
                 response.status, errc_name(*response.error), ms, entry.remote_address);
  } else {
    spdlog::info("http req={} method={} path={} status={} ms={:.1f} from={}", entry.id, method, path,
                 response.status, ms, entry.remote_address);
  }
}

}  // namespace parley::api
