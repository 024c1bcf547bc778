// Uploads (photos, documents, voice clips, videos): receiving, processing, storing, access, signed
// links and garbage collection. The bytes live in a MediaStore (media_store.h); the records in the system
// of record (store::Store, written through the chat committer). Knows no sockets or HTTP.
//
// Lifecycle of an upload:
//   begin_upload -> Upload::write (each chunk as it arrives; hashed as it goes)
//   -> finish_upload (queued to a media worker: process_image, put blobs, insert the row;
//      a document or voice clip is checked (documents.h) and stored as sent instead; a
//      video is checked and remuxed by ffprobe/ffmpeg in a sandbox (video.h), its poster
//      frame processed as a photo)
//   -> a message of kind "image", "file", "voice" or "video" references it (ChatService::send)
//   An upload no message references after `unreferenced_ttl_ms` is deleted, and its blobs
//   with it when no other upload uses them.
//
// Fairness: a user has at most `uploads_per_user` uploads in progress (from begin_upload
// until processed, refused or dropped) and begins at most `uploads_per_min` a minute;
// beyond either, begin_upload refuses that user alone (kRateLimited, with a retry delay)
// before a byte of the body is read. Waiting uploads are processed round-robin over users
// (fair_queue.h): one user's backlog never holds back another user's upload for more than
// one upload per busy user.
//
// Threading: begin_upload and Upload::write may run on any thread (net/ calls them on a
// connection's strand; writes go to a local file). finish_upload returns at once; the work
// runs on one of `threads` media workers (a bounded queue; beyond it kUnavailable), and
// `done` is called there. find/open/links are store reads: call them from a worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sodium.h>

#include "server/chat/committer.h"
#include "server/chat/rate_limiter.h"
#include "server/media/documents.h"
#include "server/media/fair_queue.h"
#include "server/media/image_processor.h"
#include "server/media/media_store.h"
#include "server/media/signed_url.h"
#include "server/media/video.h"
#include "server/store/store.h"

namespace parley::media {

struct MediaOptions {
  uint64_t max_upload_bytes = 25 << 20;     // photos and voice clips: larger bodies are cut off
                                            // (payload_too_large)
  uint64_t max_file_bytes = 100 << 20;      // documents: the same
  uint64_t max_video_bytes = 100 << 20;     // videos: the same
  ImageLimits limits;
  VideoLimits video_limits;
  VideoTools video_tools;
  bool videos_enabled = true;               // false at start: video uploads are refused (no
                                            // ffmpeg) until the collector finds the tools
  int threads = 1;                          // media workers (image processing)
  std::size_t queue_limit = 16;             // uploads waiting for a worker, all users
  int uploads_per_user = 6;                 // in progress per user (receiving, waiting, processing)
  double uploads_per_min = 30;              // begun per user per minute, bursts as many; 0: no limit
  int64_t unreferenced_ttl_ms = 24LL * 3600 * 1000;
  int64_t gc_interval_ms = 60'000;          // how often the collector runs; 0: never (and
                                            // missing video tools are then never looked for again)
  int64_t link_ttl_s = 600;                 // lifetime of signed links
  SigningKey signing_key{};
};

enum class Variant { kFull, kThumbnail };

// The delay suggested to a user refused for having uploads_per_user uploads in progress.
inline constexpr int64_t kSlotRetryMs = 1000;

// What the uploader says of an upload before its body (docs/protocol.md, "Files").
struct UploadSpec {
  UploadKind kind = UploadKind::kImage;
  std::string name;           // kind file: the name as given (sanitised by begin_upload)
  std::string declared_mime;  // the Content-Type of the upload, for documents (documents.h)
};

// An upload being received. Owned by whoever feeds it; destroying it discards the bytes.
class Upload {
 public:
  // Appends a chunk. Errors: kPayloadTooLarge (past max_upload_bytes; the upload is
  // then useless), kInternal.
  Status write(std::string_view bytes);
  uint64_t size() const { return staged_->size(); }

 private:
  friend class MediaService;
  Upload(int64_t owner_id, UploadSpec spec, uint64_t limit, std::unique_ptr<StagedUpload> staged,
         std::unique_ptr<UserSlots::Slot> slot);
  int64_t owner_id_;
  UploadSpec spec_;
  uint64_t limit_;
  std::unique_ptr<StagedUpload> staged_;
  crypto_hash_sha256_state sha_;
  std::unique_ptr<UserSlots::Slot> slot_;  // the owner's upload slot, freed with the upload
};

class MediaService {
 public:
  MediaService(store::Store& store, chat::Committer& committer, MediaStore& blobs,
               MediaOptions options);
  ~MediaService();  // stop()s

  // Stops the collector and the workers, after they finish the uploads already queued
  // (at most queue_limit). Later finish_upload calls fail with kUnavailable.
  void stop();

  // Errors: kRateLimited (the owner has uploads_per_user uploads in progress, or began
  // uploads_per_min in the last minute; retry_after_ms says when to retry), kUnavailable
  // (stopping), kInternal (no staging space), kInvalidUtf8 (a document name that is not
  // UTF-8), kUnsupportedMedia (a video while videos_enabled is false). The body may be up
  // to max_file_bytes for a document, max_video_bytes for a video, max_upload_bytes else.
  Result<std::unique_ptr<Upload>> begin_upload(int64_t owner_id, UploadSpec spec = {});

  // Processes a completely received upload and records it. Errors: kUnsupportedMedia,
  // kCorruptMedia, kImageTooLarge (image_processor.h; check_voice for voice clips;
  // process_video and kVideoTooLarge for videos; a document is never refused for its content), kBadRequest (empty body),
  // kUnavailable (queue_limit uploads of all users already wait), kInternal. The upload,
  // and with it its owner's slot, is gone before `done` is called.
  void finish_upload(std::unique_ptr<Upload> upload, chat::Callback<store::MediaRecord> done);

  // The upload if `user_id` may fetch it (store::Store::media_for_user). Errors: kNotFound.
  Result<store::MediaRecord> find(int64_t user_id, std::string_view media_id);

  // The bytes of one variant (an image's thumbnail, a video's poster; documents and voice
  // clips have only kFull). Errors:
  // kNotFound, kInternal.
  Result<std::unique_ptr<BlobReader>> open(const store::MediaRecord& media, Variant variant);

  struct Links {
    std::string full;       // path and query, e.g. /media/{id}/full?u=..&e=..&s=..
    std::string thumbnail;
    std::string poster;     // a video's poster frame
    int64_t expires_s = 0;  // Unix seconds
  };
  Links links(int64_t user_id, const store::MediaRecord& media, int64_t now_s) const;
  // Whether a signed link is authentic and unexpired (access is checked separately).
  bool verify_link(const SignedRequest& request, std::string_view signature, int64_t now_s) const;

  // Deletes unreferenced uploads older than the TTL and the blobs nobody uses any more.
  // Returns how many blobs were removed. Runs by itself every gc_interval_ms.
  Result<std::size_t> collect_garbage(int64_t now_ms);

  const MediaOptions& options() const { return options_; }
  // Whether video uploads are accepted: the tools ran at start, or ran since. While they do
  // not, the collector looks for them again at each run or every kVideoToolsRecheckMs,
  // whichever comes first (ffmpeg installed after the server started).
  bool videos_enabled() const { return videos_enabled_.load(std::memory_order_acquire); }
  static constexpr int64_t kVideoToolsRecheckMs = 10'000;

  // Told the seconds each processed upload took (metrics). Set before the first upload.
  std::function<void(double)> on_processed;

 private:
  void work_loop();
  void gc_loop();
  void process(std::unique_ptr<Upload> upload, const chat::Callback<store::MediaRecord>& done);
  // Documents and voice clips: checked and stored as sent.
  Result<store::MediaRecord> store_as_sent(Upload& upload, store::MediaRecord record);
  // Videos: checked, remuxed and stored with their poster (video.h); `upload` is released
  // once processed.
  Result<store::MediaRecord> store_video(std::unique_ptr<Upload>& upload, store::MediaRecord record);
  // Photos (and posters) processed, stored and recorded into `record`'s image fields.
  Status store_processed_image(const ProcessedImage& image, store::MediaRecord& record);
  // The row, committed.
  Status insert(const store::MediaRecord& record);
  // Commits `op` through the committer and waits for the result.
  template <class T>
  Result<T> commit(std::function<Result<T>(store::WriteTxn&)> op);

  store::Store& store_;
  chat::Committer& committer_;
  MediaStore& blobs_;
  const MediaOptions options_;

  // Held from writing blobs to committing their row, and from deleting rows to removing
  // their blobs: a blob is never removed between an upload writing it and its row
  // appearing. (A shared store across nodes would need a grace period instead.)
  std::mutex blob_mu_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait here for uploads
  std::condition_variable gc_cv_;    // the collector sleeps here between runs
  const std::shared_ptr<UserSlots> slots_;   // constant after construction; thread-safe
  chat::RateLimiter upload_rate_;            // thread-safe
  FairQueue queue_;                          // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::atomic<bool> videos_enabled_;
  std::vector<std::thread> workers_;
  std::thread collector_;
};

}  // namespace parley::media
