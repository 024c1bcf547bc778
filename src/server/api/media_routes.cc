// Upload routes of docs/protocol.md ("Photos", "Files and voice messages"): streamed
// uploads, metadata with signed links, and downloads (by token or by signed link) with
// ranges and cache validators. Anything but a photo is served as an attachment.
// Downloads run on the Worker (one store read for the access check); the bytes are
// streamed by net/ from the media store.
#include <algorithm>

#include <boost/json/object.hpp>

#include "common/clock.h"
#include "server/api/api.h"
#include "server/api/byte_range.h"
#include "server/api/http_reply.h"
#include "server/api/query.h"
#include "server/api/wire.h"
#include "server/chat/attachments.h"

namespace parley::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kUploadPath = "/api/v1/media";

Error no_such_image() { return Error::make(Errc::kNotFound, "no such image"); }

// RFC 5987/6266 ext-value of a UTF-8 file name: attr-chars as they are, all else %XX.
std::string rfc5987(std::string_view name) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

// The name a download is saved under: the document's own, "voice.ogg"/"voice.webm", or
// "video.mp4"/"video.webm".
std::string download_name(const store::MediaRecord& m) {
  if (m.kind == "file") return m.name;
  if (m.kind == "video") return m.mime == "video/webm" ? "video.webm" : "video.mp4";
  return m.mime == "audio/webm" ? "voice.webm" : "voice.ogg";
}

class MediaUploadSink final : public UploadSink {
 public:
  MediaUploadSink(std::unique_ptr<media::Upload> upload, RequestLog::Entry entry)
      : upload_(std::move(upload)), entry_(std::move(entry)) {}
  Status write(std::string_view bytes) override { return upload_->write(bytes); }
  std::unique_ptr<media::Upload> take() { return std::move(upload_); }
  const RequestLog::Entry& entry() const { return entry_; }

 private:
  std::unique_ptr<media::Upload> upload_;
  RequestLog::Entry entry_;  // the upload's request, logged when it is answered
};

class BlobSource final : public BodySource {
 public:
  explicit BlobSource(std::unique_ptr<media::BlobReader> reader) : reader_(std::move(reader)) {}
  uint64_t size() const override { return reader_->size(); }
  Result<std::size_t> read(uint64_t offset, char* out, std::size_t n) override {
    return reader_->read(offset, out, n);
  }

 private:
  std::unique_ptr<media::BlobReader> reader_;
};

// The variants of an upload: "full" for all; "thumbnail" for a photo, "poster" for a video.
std::optional<media::Variant> parse_variant(std::string_view s, const store::MediaRecord& m) {
  if (s == "full") return media::Variant::kFull;
  if (s == "thumbnail" && m.kind == "image") return media::Variant::kThumbnail;
  if (s == "poster" && m.kind == "video") return media::Variant::kThumbnail;
  return std::nullopt;
}

bool known_variant(std::string_view s) { return s == "full" || s == "thumbnail" || s == "poster"; }

// The bytes of one variant with validators and, when asked, one range of them.
HttpResponse serve(media::MediaService& service, const store::MediaRecord& m, media::Variant variant,
                   const HttpRequest& req, std::string cache_control) {
  auto reader = service.open(m, variant);
  if (!reader) return error_response(reader.error().code == Errc::kNotFound ? no_such_image() : reader.error());
  const std::string& sha = variant == media::Variant::kFull ? m.sha256 : m.thumb_sha256;
  std::string etag = "\"" + sha + "\"";
  HttpResponse r;
  r.headers = {{"ETag", etag},
               {"Cache-Control", std::move(cache_control)},
               {"Accept-Ranges", "bytes"},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'"}};
  if (!req.if_none_match.empty() &&
      (req.if_none_match == "*" || req.if_none_match.find(etag) != std::string::npos)) {
    r.status = 304;
    return r;
  }
  r.content_type = variant == media::Variant::kFull ? m.mime : m.thumb_mime;
  // Never shown by the browser in this origin, whatever the bytes are (the CSP's sandbox
  // and nosniff above hold as well if someone opens the link directly). <audio> and
  // <video> play an attachment all the same; a poster is a JPEG the server encoded.
  if (m.kind != "image" && variant == media::Variant::kFull)
    r.headers.emplace_back("Content-Disposition", "attachment; filename*=UTF-8''" + rfc5987(download_name(m)));
  auto source = std::make_shared<BlobSource>(std::move(*reader));
  uint64_t size = source->size();
  r.status = 200;
  r.stream_offset = 0;
  r.stream_length = size;
  if (!req.range.empty()) {
    if (auto range = parse_range(req.range, size)) {
      if (!range->has_value()) {
        HttpResponse bad = error_response(Error::make(Errc::kBadRequest, "range not satisfiable"));
        bad.status = 416;
        bad.headers = {{"Content-Range", "bytes */" + std::to_string(size)}};
        return bad;
      }
      r.status = 206;
      r.stream_offset = (*range)->first;
      r.stream_length = (*range)->length;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(r.stream_offset) + "-" +
                                                  std::to_string(r.stream_offset + r.stream_length - 1) +
                                                  "/" + std::to_string(size));
    }
  }
  r.stream = std::move(source);
  return r;
}

}  // namespace

bool Api::is_upload(std::string_view method, std::string_view path) const {
  return method == "POST" && path == kUploadPath;
}

uint64_t Api::upload_limit() const {
  const auto& o = media_.options();
  return std::max({o.max_upload_bytes, o.max_file_bytes, o.max_video_bytes});
}

void Api::begin_upload(HttpRequest head, UploadStarted done) {
  metrics_.http_requests.add();
  worker_.post([this, head = std::move(head), done = std::move(done)]() {
    RequestLog::Entry entry = request_log_.begin(head);
    auto fail = [&](const Error& e) {
      metrics_.count_error(e.code);
      HttpResponse r = error_response(e);
      RequestLog::finish(entry, r);
      done(nullptr, std::move(r));
    };
    // An image body, not JSON: only the Origin is checked.
    if (Status s = check_cross_site(head, false); !s) return fail(s.error());
    auto who = chat_.authenticate(bearer_token(head.authorization));
    if (!who) return fail(who.error());
    Query q(head.query);
    media::UploadSpec spec;
    if (auto kind = q.get("kind")) {
      auto parsed = media::parse_upload_kind(*kind);
      if (!parsed)
        return fail(Error::make(Errc::kInvalidArgument, "kind must be image, file, voice or video"));
      spec.kind = *parsed;
    }
    if (spec.kind == media::UploadKind::kFile) {
      spec.name = q.get("name").value_or("");
      spec.declared_mime = head.content_type;
    } else if (q.has("name")) {
      return fail(Error::make(Errc::kInvalidArgument, "only a file upload has a name"));
    }
    auto upload = media_.begin_upload(who->user.id, std::move(spec));
    if (!upload) return fail(upload.error());
    done(std::make_unique<MediaUploadSink>(std::move(*upload), std::move(entry)), HttpResponse{});
  });
}

void Api::finish_upload(std::unique_ptr<UploadSink> sink, HttpDone done) {
  auto& media_sink = static_cast<MediaUploadSink&>(*sink);
  auto upload = media_sink.take();
  media_.finish_upload(std::move(upload), [this, entry = media_sink.entry(),
                                           done = std::move(done)](Result<store::MediaRecord> r) {
    // No timing header: how long processing took would tell the uploader whether the same
    // bytes had been uploaded before (by anyone). Operators see it in /metrics (and the
    // access log, which only they read).
    HttpResponse answer;
    if (!r) {
      metrics_.count_error(r.error().code);
      answer = error_response(r.error());
    } else {
      answer = json_response(201, {{"media", wire::media(*r)}});
    }
    RequestLog::finish(entry, answer);
    done(std::move(answer));
  });
}

bool Api::route_media(const chat::Principal& who, HttpRequest& req,
                      const std::vector<std::string_view>& seg, HttpDone& done) {
  if (seg[0] != "media") return false;
  auto fail = [&](const Error& e) { done(error_response(e)); };
  if (seg.size() == 1) {
    // POST bodies are streamed by net/ (begin_upload); anything reaching here is not.
    fail(method_not_allowed());
    return true;
  }
  if (seg.size() > 3 || !chat::valid_media_id(seg[1])) {
    fail(no_such_image());
    return true;
  }
  if (req.method != "GET") {
    fail(method_not_allowed());
    return true;
  }
  auto m = media_.find(who.user.id, seg[1]);
  if (!m) {
    fail(m.error());
    return true;
  }
  if (seg.size() == 2) {
    auto links = media_.links(who.user.id, *m, now_ms() / 1000);
    json::object l{{"full", links.full}, {"expires_at", links.expires_s * 1000}};
    if (m->kind == "image") l["thumbnail"] = links.thumbnail;
    if (m->kind == "video") l["poster"] = links.poster;
    done(json_response(200, {{"media", wire::media(*m)}, {"links", std::move(l)}}));
    return true;
  }
  auto variant = parse_variant(seg[2], *m);
  if (!variant) {
    fail(no_such_image());
    return true;
  }
  // The bytes behind an id never change (content-addressed): cache them for good, but
  // only privately, since they were fetched with someone's token.
  done(serve(media_, *m, *variant, req, "private, max-age=31536000, immutable"));
  return true;
}

void Api::route_signed_media(HttpRequest& req, HttpDone& done) {
  auto seg = split_path(req.path);  // {"media", id, variant}
  if (req.method != "GET") return done(error_response(method_not_allowed()));
  if (seg.size() != 3 || !chat::valid_media_id(seg[1])) return done(error_response(no_such_image()));
  if (!known_variant(seg[2])) return done(error_response(no_such_image()));
  Query q(req.query);
  auto user = q.get_int("u", 0, 1);
  auto expires = q.get_int("e", 0, 1);
  auto signature = q.get("s");
  Error refused = Error::make(Errc::kForbidden, "the link is invalid or has expired");
  if (!user || !expires || !signature) return done(error_response(refused));
  media::SignedRequest signed_request{std::string(seg[1]), std::string(seg[2]), *user, *expires};
  int64_t now_s = now_ms() / 1000;
  if (!media_.verify_link(signed_request, *signature, now_s)) return done(error_response(refused));
  // The link proves who it was issued to; whether they may still see the image is asked
  // again now (the message may be gone, or they may have left).
  auto m = media_.find(*user, seg[1]);
  if (!m) return done(error_response(m.error()));
  auto variant = parse_variant(seg[2], *m);
  if (!variant) return done(error_response(no_such_image()));
  // Shared caches may keep it, but not past the link's expiry.
  std::string cache = "public, max-age=" + std::to_string(std::max<int64_t>(0, *expires - now_s)) +
                      ", immutable";
  done(serve(media_, *m, *variant, req, std::move(cache)));
}

}  // namespace parley::api
