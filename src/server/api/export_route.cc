// GET /api/v1/me/export (docs/protocol.md, "Exporting your data"): a ZIP of what the user
// can see and of the photos they sent, read through the same domain calls as the API (so it holds exactly what the
// history and chat list would show them) and written page by page to an unlinked temporary
// file, which net/ then streams. Memory stays bounded by one page of messages whatever
// the history's size; the file disappears when the answer is done or dropped.
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>

#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "server/api/api.h"
#include "server/api/http_reply.h"
#include "server/api/wire.h"
#include "server/api/zip_writer.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr int kPage = 200;
constexpr std::size_t kMaxConcurrentExports = 2;  // server-wide: each holds a worker thread

class FileSource final : public BodySource {
 public:
  FileSource(std::FILE* file, uint64_t size) : file_(file), size_(size) {}
  ~FileSource() override { std::fclose(file_); }
  uint64_t size() const override { return size_; }
  Result<std::size_t> read(uint64_t offset, char* out, std::size_t n) override {
    ssize_t got = ::pread(::fileno(file_), out, n, static_cast<off_t>(offset));
    if (got < 0) return Error::make(Errc::kInternal, "reading the export failed");
    return static_cast<std::size_t>(got);
  }

 private:
  std::FILE* file_;
  uint64_t size_;
};

Status write_json(ZipWriter& zip, const std::string& name, const json::value& value) {
  if (Status s = zip.begin(name); !s) return s;
  return zip.write(json::serialize(value));
}

// chats/<id>.json: {"conversation": {...}, "messages": [...oldest first...]}. Adds the
// uploads of the user's own photo messages to `photos`.
Status write_chat(ZipWriter& zip, chat::ChatService& chat, const chat::Principal& who,
                  const store::ConversationRecord& c, std::set<std::string>& photos) {
  if (Status s = zip.begin("chats/" + std::to_string(c.id) + ".json"); !s) return s;
  if (Status s = zip.write("{\"conversation\":" + json::serialize(wire::conversation(c, who.user.id)) +
                           ",\"messages\":[");
      !s)
    return s;
  int64_t after = 0;
  bool first = true;
  for (;;) {
    auto page = chat.history(who, store::HistoryQuery{c.id, std::nullopt, after, kPage});
    if (!page) return page.error();
    for (const auto& m : page->items) {
      if (Status s = zip.write((first ? "" : ",") + json::serialize(wire::message(m))); !s) return s;
      first = false;
      after = m.seq;
      if (m.sender_id == who.user.id && (m.kind == "image" || m.kind == "file" || m.kind == "voice" ||
                                       m.kind == "video") &&
          !m.media_id.empty())
        photos.insert(m.media_id);
    }
    if (!page->has_more || page->items.empty()) break;
  }
  return zip.write("]}");
}

// The bytes of each upload, streamed from the media store: photos/<media id>.jpg|.webp (the
// full image), files/<media id>/<file name> (a document as sent; the name is sanitised, no
// separators), voice/<media id>.ogg|.webm (a recording as sent).
Status write_photos(ZipWriter& zip, media::MediaService& media, const chat::Principal& who,
                    const std::set<std::string>& photos) {
  std::string buffer(64 * 1024, '\0');
  for (const std::string& id : photos) {
    auto record = media.find(who.user.id, id);
    if (!record) continue;  // gone since (deleted for everyone): nothing to export
    auto reader = media.open(*record, media::Variant::kFull);
    if (!reader) continue;
    std::string entry;
    if (record->kind == "file")
      entry = "files/" + id + "/" + (record->name.empty() ? std::string("file") : record->name);
    else if (record->kind == "voice")
      entry = "voice/" + id + (record->mime.find("webm") != std::string::npos ? ".webm" : ".ogg");
    else if (record->kind == "video")
      entry = "videos/" + id + (record->mime == "video/webm" ? ".webm" : ".mp4");
    else
      entry = "photos/" + id + (record->mime == "image/webp" ? ".webp" : ".jpg");
    if (Status s = zip.begin(entry); !s) return s;
    for (uint64_t at = 0;;) {
      auto got = (*reader)->read(at, buffer.data(), buffer.size());
      if (!got) return got.error();
      if (*got == 0) break;
      if (Status s = zip.write(std::string_view(buffer.data(), *got)); !s) return s;
      at += *got;
    }
  }
  return Status();
}

Status write_archive(ZipWriter& zip, chat::ChatService& chat, media::MediaService& media,
                     const chat::Principal& who) {
  json::object profile{{"user", wire::user(who.user)},
                       {"created_at", who.user.created_at},
                       {"exported_at", now_ms()}};
  if (auto privacy = chat.privacy(who); privacy)
    profile["privacy"] = json::object{{"hide_last_seen", privacy->hide_last_seen},
                                      {"groups_add", privacy->groups_add}};
  else
    return privacy.error();
  if (Status s = write_json(zip, "profile.json", profile); !s) return s;

  auto contacts = chat.contacts(who);
  if (!contacts) return contacts.error();
  json::array list;
  for (const auto& c : *contacts)
    list.push_back(json::object{{"user", wire::user(c.user)}, {"nickname", c.nickname}, {"created_at", c.created_at}});
  if (Status s = write_json(zip, "contacts.json", json::object{{"contacts", std::move(list)}}); !s) return s;

  std::set<std::string> photos;
  std::optional<store::ChatListCursor> cursor;
  for (;;) {
    auto page = chat.conversations(who, cursor, kPage);
    if (!page) return page.error();
    for (const auto& c : page->items)
      if (Status s = write_chat(zip, chat, who, c, photos); !s) return s;
    if (!page->has_more || page->items.empty()) break;
    cursor = store::ChatListCursor{page->items.back().last_activity, page->items.back().id};
  }
  if (Status s = write_photos(zip, media, who, photos); !s) return s;
  return zip.finish();
}

}  // namespace

bool Api::route_export(const chat::Principal& who, HttpRequest& req, const std::vector<std::string_view>& seg,
                       HttpDone& done) {
  if (seg.size() != 2 || seg[0] != "me" || seg[1] != "export") return false;
  if (req.method != "GET") {
    done(error_response(method_not_allowed()));
    return true;
  }
  const int64_t user_id = who.user.id;
  {
    std::lock_guard lock(exports_mu_);
    if (exporting_.count(user_id)) {
      Error e = Error::make(Errc::kRateLimited, "an export of yours is already being made");
      e.retry_after_ms = 1000;
      done(error_response(e));
      return true;
    }
    if (exporting_.size() >= kMaxConcurrentExports) {
      done(error_response(Error::make(Errc::kUnavailable, "the server is busy with other exports; try again soon")));
      return true;
    }
    if (int64_t wait = export_limiter_.acquire(std::to_string(user_id), steady_ms()); wait > 0) {
      Error e = Error::make(Errc::kRateLimited, "too many exports; try again later");
      e.retry_after_ms = wait;
      done(error_response(e));
      return true;
    }
    exporting_.insert(user_id);
  }
  HttpResponse answer;
  std::FILE* file = std::tmpfile();  // unlinked: nothing is left on disk once it is closed
  if (!file) {
    answer = error_response(Error::make(Errc::kInternal, "no room for the export"));
  } else {
    ZipWriter zip(file);
    if (Status s = write_archive(zip, chat_, media_, who); !s) {
      std::fclose(file);
      answer = error_response(s.error());
    } else {
      long size = std::ftell(file);
      auto source = std::make_shared<FileSource>(file, static_cast<uint64_t>(size < 0 ? 0 : size));
      answer.status = 200;
      answer.content_type = "application/zip";
      answer.headers = {{"Content-Disposition", "attachment; filename=\"parley-export.zip\""},
                        {"Cache-Control", "no-store"},
                        {"X-Content-Type-Options", "nosniff"}};
      answer.stream_length = source->size();
      answer.stream = std::move(source);
    }
  }
  {
    std::lock_guard lock(exports_mu_);
    exporting_.erase(user_id);
  }
  done(std::move(answer));
  return true;
}

}  // namespace parley::api
