#include "server/media/media_service.h"

#include <chrono>
#include <cstdio>
#include <future>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/hex.h"

namespace parley::media {
namespace {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(digest);
}

std::string new_media_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  return to_hex(bytes);
}

}  // namespace

// ---- Upload -----------------------------------------------------------------------

Upload::Upload(int64_t owner_id, UploadSpec spec, uint64_t limit,
               std::unique_ptr<StagedUpload> staged, std::unique_ptr<UserSlots::Slot> slot)
    : owner_id_(owner_id), spec_(std::move(spec)), limit_(limit), staged_(std::move(staged)), slot_(std::move(slot)) {
  crypto_hash_sha256_init(&sha_);
}

Status Upload::write(std::string_view bytes) {
  if (staged_->size() + bytes.size() > limit_)
    return Error::make(Errc::kPayloadTooLarge,
                       "uploads are limited to " + std::to_string(limit_) + " bytes");
  crypto_hash_sha256_update(&sha_, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
  return staged_->write(bytes);
}

// ---- MediaService -------------------------------------------------------------------

MediaService::MediaService(store::Store& store, chat::Committer& committer, MediaStore& blobs,
                           MediaOptions options)
    : store_(store),
      committer_(committer),
      blobs_(blobs),
      options_(std::move(options)),
      slots_(UserSlots::make(std::max(1, options_.uploads_per_user))),
      upload_rate_(options_.uploads_per_min / 60.0, std::max(1.0, options_.uploads_per_min)),
      videos_enabled_(options_.videos_enabled) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) workers_.emplace_back([this] { work_loop(); });
  if (options_.gc_interval_ms > 0) collector_ = std::thread([this] { gc_loop(); });
}

MediaService::~MediaService() { stop(); }

void MediaService::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  gc_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  if (collector_.joinable()) collector_.join();
}

void MediaService::work_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      job = std::move(*queue_.pop());
    }
    job();
  }
}

void MediaService::gc_loop() {
  using std::chrono::milliseconds;
  auto next_gc = std::chrono::steady_clock::now() + milliseconds(options_.gc_interval_ms);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto wake = next_gc;
    if (!videos_enabled())
      wake = std::min(wake, std::chrono::steady_clock::now() + milliseconds(kVideoToolsRecheckMs));
    gc_cv_.wait_until(lock, wake);
    if (stopping_) break;
    lock.unlock();
    if (!videos_enabled() && video_tools_available(options_.video_tools)) {
      videos_enabled_.store(true, std::memory_order_release);
      spdlog::info("media: {} and {} run now; video uploads are accepted", options_.video_tools.ffprobe,
                   options_.video_tools.ffmpeg);
    }
    if (std::chrono::steady_clock::now() >= next_gc) {
      auto removed = collect_garbage(now_ms());
      if (!removed) spdlog::warn("media: garbage collection failed: {}", removed.error().message);
      next_gc = std::chrono::steady_clock::now() + milliseconds(options_.gc_interval_ms);
    }
    lock.lock();
  }
}

Result<std::unique_ptr<Upload>> MediaService::begin_upload(int64_t owner_id, UploadSpec spec) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error::make(Errc::kUnavailable, "the server is shutting down");
  }
  if (spec.kind == UploadKind::kVideo && !videos_enabled())
    return Error::make(Errc::kUnsupportedMedia, "this server does not accept videos");
  if (spec.kind == UploadKind::kFile) {
    auto name = sanitize_file_name(spec.name);
    if (!name) return name.error();
    spec.name = std::move(*name);
  } else {
    spec.name.clear();
  }
  auto slot = slots_->acquire(owner_id);
  if (!slot) {
    // No estimate of when one of them ends is honest; a second is a polite pace.
    Error e = Error::make(Errc::kRateLimited,
                          "you have " + std::to_string(options_.uploads_per_user) +
                              " uploads in progress; retry when one of them is done");
    e.retry_after_ms = kSlotRetryMs;
    return e;
  }
  // Taken only once a slot is: a refused upload does not count against the rate.
  if (int64_t wait = upload_rate_.acquire(std::to_string(owner_id), steady_ms()); wait > 0) {
    Error e = Error::make(Errc::kRateLimited, "too many uploads; retry later");
    e.retry_after_ms = wait;
    return e;
  }
  auto staged = blobs_.stage();
  if (!staged) return staged.error();
  const uint64_t limit = spec.kind == UploadKind::kFile    ? options_.max_file_bytes
                         : spec.kind == UploadKind::kVideo ? options_.max_video_bytes
                                                           : options_.max_upload_bytes;
  return std::unique_ptr<Upload>(
      new Upload(owner_id, std::move(spec), limit, std::move(*staged), std::move(slot)));
}

void MediaService::finish_upload(std::unique_ptr<Upload> upload,
                                 chat::Callback<store::MediaRecord> done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.queue_limit) {
      int64_t owner = upload->owner_id_;
      // std::function needs a copyable callable: the upload travels in a shared_ptr.
      auto shared = std::make_shared<std::unique_ptr<Upload>>(std::move(upload));
      queue_.push(owner, [this, shared, done] { process(std::move(*shared), done); });
      work_cv_.notify_one();
      return;
    }
  }
  upload.reset();  // frees the owner's slot before they hear back
  done(Error::make(Errc::kUnavailable, "too many uploads are being processed; retry shortly"));
}

template <class T>
Result<T> MediaService::commit(std::function<Result<T>(store::WriteTxn&)> op) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  committer_.submit(chat::make_op<T>(std::move(op), chat::Callback<T>([&promise](Result<T> r) {
                                       promise.set_value(std::move(r));
                                     })));
  return future.get();
}

void MediaService::process(std::unique_ptr<Upload> upload,
                           const chat::Callback<store::MediaRecord>& done) {
  // The upload (its staged file and its owner's slot) is released before the owner hears
  // back, so that an answer always means the slot is free again.
  auto reply = [&upload, &done](Result<store::MediaRecord> r) {
    upload.reset();
    done(std::move(r));
  };
  if (Status s = upload->staged_->close(); !s) return reply(s.error());
  if (upload->size() == 0) return reply(Error::make(Errc::kBadRequest, "the upload is empty"));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&upload->sha_, digest);
  store::MediaRecord record;
  record.id = new_media_id();
  record.owner_id = upload->owner_id_;
  record.source_sha256 = to_hex(digest);
  record.kind = std::string(upload_kind_name(upload->spec_.kind));
  if (upload->spec_.kind == UploadKind::kVideo) {
    auto stored = store_video(upload, std::move(record));
    return reply(std::move(stored));
  }
  if (upload->spec_.kind != UploadKind::kImage) {
    auto stored = store_as_sent(*upload, std::move(record));
    if (!stored) return reply(stored.error());
    // As for photos: the blob and its row appear under blob_mu_, so the collector cannot
    // remove the blob of an identical earlier upload between the two.
    std::lock_guard lock(blob_mu_);
    if (Status s = blobs_.put_staged(stored->sha256, *upload->staged_); !s) return reply(s.error());
    stored->created_at = now_ms();
    if (Status s = insert(*stored); !s) return reply(s.error());
    return reply(std::move(*stored));
  }

  // Bytes uploaded before (by anyone) are processed again rather than looked up by
  // source_sha256: a lookup would answer in a millisecond, telling the uploader that someone
  // has this photo. Processing is deterministic, so the blobs are shared all the same (they
  // are stored by the SHA-256 of what is served).

  auto started = std::chrono::steady_clock::now();
  auto image = process_image(upload->staged_->local_path(), options_.limits);
  upload.reset();  // the original, with whatever metadata it had, is gone from here on
  if (!image) return reply(image.error());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (on_processed) on_processed(seconds);
  spdlog::debug("media: processed {} in {:.1f} ms", record.id, seconds * 1000);

  record.mime = image->full.mime;
  record.sha256 = sha256_hex(image->full.bytes);
  record.size = static_cast<int64_t>(image->full.bytes.size());
  record.width = image->full.width;
  record.height = image->full.height;
  record.thumb_mime = image->thumbnail.mime;
  record.thumb_sha256 = sha256_hex(image->thumbnail.bytes);
  record.thumb_size = static_cast<int64_t>(image->thumbnail.bytes.size());
  record.thumb_width = image->thumbnail.width;
  record.thumb_height = image->thumbnail.height;
  record.placeholder = std::move(image->placeholder);

  std::lock_guard lock(blob_mu_);
  if (Status s = blobs_.put(record.sha256, image->full.bytes); !s) return reply(s.error());
  if (Status s = blobs_.put(record.thumb_sha256, image->thumbnail.bytes); !s) return reply(s.error());
  record.created_at = now_ms();
  if (Status s = insert(record); !s) return reply(s.error());
  reply(std::move(record));
}

Status MediaService::insert(const store::MediaRecord& record) {
  auto r = commit<chat::Done>([record](store::WriteTxn& txn) -> Result<chat::Done> {
    if (Status s = txn.insert_media(record); !s) return s.error();
    return chat::Done{};
  });
  if (!r) return r.error();
  return {};
}

Result<store::MediaRecord> MediaService::store_video(std::unique_ptr<Upload>& upload,
                                                     store::MediaRecord record) {
  auto started = std::chrono::steady_clock::now();
  auto video = process_video(upload->staged_->local_path(), options_.max_video_bytes,
                             options_.video_tools, options_.video_limits);
  upload.reset();  // the original, with its metadata, is gone from here on
  if (!video) return video.error();
  // The poster goes the photo's way (decoded and re-encoded by libvips); it is already
  // at most kPosterMaxSide, so its "full" image is the poster served.
  auto poster = process_image(video->poster.path(), options_.limits);
  if (!poster) return Error::make(Errc::kCorruptMedia, "the video's first frame could not be read");

  // Into the media store by the SHA-256 of what is served (identical videos share a blob:
  // the remux is deterministic), hashed while it is copied into staging.
  auto staged = blobs_.stage();
  if (!staged) return staged.error();
  crypto_hash_sha256_state sha;
  crypto_hash_sha256_init(&sha);
  std::FILE* f = std::fopen(video->video.path().c_str(), "rb");
  if (!f) return Error::make(Errc::kInternal, "cannot read the processed video");
  std::string chunk(1 << 16, '\0');
  Status copied;
  while (copied) {
    std::size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
    if (n == 0) break;
    crypto_hash_sha256_update(&sha, reinterpret_cast<const unsigned char*>(chunk.data()), n);
    copied = (*staged)->write(std::string_view(chunk.data(), n));
  }
  bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (!copied) return copied.error();
  if (read_error) return Error::make(Errc::kInternal, "cannot read the processed video");
  if (Status s = (*staged)->close(); !s) return s.error();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&sha, digest);

  record.mime = video->mime;
  record.sha256 = to_hex(digest);
  record.size = static_cast<int64_t>((*staged)->size());
  record.width = video->width;
  record.height = video->height;
  record.duration_ms = video->duration_ms;
  record.thumb_mime = poster->full.mime;
  record.thumb_sha256 = sha256_hex(poster->full.bytes);
  record.thumb_size = static_cast<int64_t>(poster->full.bytes.size());
  record.thumb_width = poster->full.width;
  record.thumb_height = poster->full.height;
  record.placeholder = std::move(poster->placeholder);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (on_processed) on_processed(seconds);
  spdlog::debug("media: processed video {} in {:.1f} ms", record.id, seconds * 1000);

  std::lock_guard lock(blob_mu_);
  if (Status s = blobs_.put_staged(record.sha256, **staged); !s) return s.error();
  if (Status s = blobs_.put(record.thumb_sha256, poster->full.bytes); !s) return s.error();
  record.created_at = now_ms();
  if (Status s = insert(record); !s) return s.error();
  return record;
}

Result<store::MediaRecord> MediaService::store_as_sent(Upload& upload, store::MediaRecord record) {
  const std::string& path = upload.staged_->local_path();
  if (upload.spec_.kind == UploadKind::kVoice) {
    auto mime = check_voice(path);
    if (!mime) return mime.error();
    record.mime = std::move(*mime);
  } else {
    char head[64];
    std::size_t n = 0;
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      n = std::fread(head, 1, sizeof head, f);
      std::fclose(f);
    } else {
      return Error::make(Errc::kInternal, "cannot read the upload");
    }
    record.mime = document_mime(std::string_view(head, n), upload.spec_.declared_mime);
    record.name = upload.spec_.name;
  }
  // Stored as sent: the blob is the upload itself, named by the hash taken while it arrived.
  record.sha256 = record.thumb_sha256 = record.source_sha256;
  record.thumb_mime = record.mime;
  record.size = record.thumb_size = static_cast<int64_t>(upload.size());
  return record;
}

Result<store::MediaRecord> MediaService::find(int64_t user_id, std::string_view media_id) {
  auto m = store_.media_for_user(media_id, user_id);
  if (!m) return m.error();
  if (!m->has_value()) return Error::make(Errc::kNotFound, "no such upload");
  return std::move(**m);
}

Result<std::unique_ptr<BlobReader>> MediaService::open(const store::MediaRecord& media,
                                                       Variant variant) {
  return blobs_.open(variant == Variant::kFull ? media.sha256 : media.thumb_sha256);
}

MediaService::Links MediaService::links(int64_t user_id, const store::MediaRecord& media,
                                        int64_t now_s) const {
  Links l;
  // Rounded up to a whole minute, so that links issued within the same minute are the
  // same URL and caches (the browser's, a CDN's) can reuse what they fetched.
  l.expires_s = (now_s + options_.link_ttl_s + 59) / 60 * 60;
  l.full = signed_path(options_.signing_key, SignedRequest{media.id, "full", user_id, l.expires_s});
  l.thumbnail =
      signed_path(options_.signing_key, SignedRequest{media.id, "thumbnail", user_id, l.expires_s});
  l.poster = signed_path(options_.signing_key, SignedRequest{media.id, "poster", user_id, l.expires_s});
  return l;
}

bool MediaService::verify_link(const SignedRequest& request, std::string_view signature,
                               int64_t now_s) const {
  return verify(options_.signing_key, request, signature, now_s);
}

Result<std::size_t> MediaService::collect_garbage(int64_t now) {
  std::lock_guard lock(blob_mu_);
  int64_t before = now - options_.unreferenced_ttl_ms;
  auto unused = commit<std::vector<std::string>>(
      [before](store::WriteTxn& txn) { return txn.delete_unreferenced_media(before, 1000); });
  if (!unused) return unused.error();
  std::size_t removed = 0;
  for (const auto& key : *unused) {
    if (Status s = blobs_.remove(key); !s)
      spdlog::warn("media: removing blob {}: {}", key, s.error().message);
    else
      ++removed;
  }
  if (removed) spdlog::info("media: collected {} unreferenced blobs", removed);
  return removed;
}

}  // namespace parley::media
