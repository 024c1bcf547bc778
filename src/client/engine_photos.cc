// Photos: uploading with progress, sending an uploaded photo through the outbox, and a
// thumbnail cache with a size bound (least recently used first): files beside a plain store,
// rows inside an encrypted one (so no photo is ever on disk in clear).
#include "client/engine.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <openssl/evp.h>

#include "client/json_util.h"
#include "protocol/json_fields.h"

namespace parley::client {

namespace json = boost::json;
namespace protocol = parley::protocol;
namespace fs = std::filesystem;

namespace {

// The largest file upload_photo reads into memory (the server's default limit is 25 MiB).
constexpr uintmax_t kMaxUploadFile = 64u << 20;

// A media id is 32 hex digits; anything else never reaches a URL or a file name.
bool valid_media_id(std::string_view id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// A strictly increasing clock for the cache's "last used" (two uses in one millisecond keep
// their order). Shared by every core in the process, hence atomic.
int64_t use_tick() {
  static std::atomic<int64_t> last{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t prev = last.load();
  int64_t next;
  do {
    next = std::max(prev + 1, now);
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

}  // namespace

void Engine::upload_photo(const json::object& req, const Answer& answer) {
  auto path = protocol::required_string(req, "path");
  if (!path) return answer(error_object(path.error()));
  std::error_code ec;
  const uintmax_t size = fs::file_size(*path, ec);
  if (ec) return answer(error_object(Error::make(Errc::kInvalidArgument, "cannot read " + *path + ": " + ec.message())));
  if (size > kMaxUploadFile) return answer(error_object(Error::make(Errc::kPayloadTooLarge, "the file is too large")));
  std::ifstream in(*path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return answer(error_object(Error::make(Errc::kInvalidArgument, "cannot read " + *path)));
  const json::value request_id = req.contains("id") ? req.at("id") : json::value(nullptr);
  http_upload(
      io_, server_, "/api/v1/media", token_, std::move(bytes),
      [this, request_id](size_t sent, size_t total) {
        emit({{"type", "upload_progress"}, {"request_id", request_id}, {"sent", sent}, {"total", total}});
      },
      [answer](Result<HttpAnswer> r) {
        if (!r) return answer(error_object(r.error()));
        auto parsed = protocol::parse_object(r->body);
        if (!parsed) return answer(error_object(Error::make(Errc::kInternal, "the server's answer is not JSON")));
        if (r->status >= 300) return answer(error_object(error_from_json(*parsed)));
        answer({{"type", "photo"}, {"media", parsed->contains("media") ? parsed->at("media") : json::value(nullptr)}});
      });
}

void Engine::send_photo(const json::object& req, const Answer& answer) {
  auto chat_id = protocol::required_int(req, "chat_id", 1);
  if (!chat_id) return answer(error_object(chat_id.error()));
  auto media_id = protocol::required_string(req, "media_id");
  if (!media_id) return answer(error_object(media_id.error()));
  if (!valid_media_id(*media_id)) return answer(error_object(Error::make(Errc::kInvalidArgument, "bad media_id")));
  auto caption = protocol::optional_string(req, "caption");
  if (!caption) return answer(error_object(caption.error()));
  if (caption->value_or("").size() > 16384) {
    return answer(error_object(Error::make(Errc::kMessageTooLong, "the caption is longer than 16384 bytes")));
  }
  enqueue_and_send(*chat_id, caption->value_or(""), *media_id, answer);
}

void Engine::get_thumbnail(const json::object& req, const Answer& answer) {
  auto media_id = protocol::required_string(req, "media_id");
  if (!media_id) return answer(error_object(media_id.error()));
  if (!valid_media_id(*media_id)) return answer(error_object(Error::make(Errc::kInvalidArgument, "bad media_id")));
  if (store_->encrypted()) return get_stored_thumbnail(*media_id, answer);
  const fs::path file = fs::path(thumbnail_dir_) / (*media_id + ".img");
  std::error_code ec;
  if (fs::exists(file, ec)) {
    fs::last_write_time(file, fs::file_time_type::clock::now(), ec);  // recently used
    return answer({{"type", "thumbnail"}, {"path", file.string()}, {"cached", true}});
  }
  http_request(io_, server_, "GET", "/api/v1/media/" + *media_id + "/thumbnail", token_, "",
               [this, answer, file](Result<HttpAnswer> r) {
                 if (!r) return answer(error_object(r.error()));
                 if (r->status != 200) {
                   auto parsed = protocol::parse_object(r->body);
                   return answer(error_object(parsed ? error_from_json(*parsed)
                                                     : Error::make(Errc::kInternal, "thumbnail download failed")));
                 }
                 std::error_code ec;
                 fs::create_directories(file.parent_path(), ec);
                 const fs::path tmp = file.string() + ".part";
                 {
                   std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
                   out.write(r->body.data(), static_cast<std::streamsize>(r->body.size()));
                   if (!out) return answer(error_object(Error::make(Errc::kInternal, "cannot write the thumbnail cache")));
                 }
                 fs::rename(tmp, file, ec);
                 if (ec) return answer(error_object(Error::make(Errc::kInternal, "cannot write the thumbnail cache")));
                 trim_thumbnail_cache(file);
                 answer({{"type", "thumbnail"}, {"path", file.string()}, {"cached", false}});
               });
}

void Engine::get_stored_thumbnail(const std::string& media_id, const Answer& answer) {
  if (auto data = store_->thumbnail(media_id, use_tick())) {
    return answer({{"type", "thumbnail"}, {"data", base64(*data)}, {"cached", true}});
  }
  http_request(io_, server_, "GET", "/api/v1/media/" + media_id + "/thumbnail", token_, "",
               [this, answer, media_id](Result<HttpAnswer> r) {
                 if (!r) return answer(error_object(r.error()));
                 if (r->status != 200) {
                   auto parsed = protocol::parse_object(r->body);
                   return answer(error_object(parsed ? error_from_json(*parsed)
                                                     : Error::make(Errc::kInternal, "thumbnail download failed")));
                 }
                 if (Status s = store_->put_thumbnail(media_id, r->body, use_tick(),
                                                      static_cast<int64_t>(std::min<uintmax_t>(thumbnail_cache_bytes_, INT64_MAX)));
                     !s) {
                   return answer(error_object(s.error()));
                 }
                 answer({{"type", "thumbnail"}, {"data", base64(r->body)}, {"cached", false}});
               });
}

void Engine::trim_thumbnail_cache(const std::filesystem::path& keep) {
  struct Entry {
    fs::path path;
    uintmax_t size;
    fs::file_time_type used;
  };
  std::vector<Entry> entries;
  uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(thumbnail_dir_, ec)) {
    if (!e.is_regular_file(ec)) continue;
    entries.push_back({e.path(), e.file_size(ec), e.last_write_time(ec)});
    total += entries.back().size;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& e : entries) {
    if (total <= thumbnail_cache_bytes_) break;
    if (e.path == keep) continue;  // the file just asked for stays, even if alone it is too big
    if (fs::remove(e.path, ec)) total -= e.size;
  }
}

}  // namespace parley::client
