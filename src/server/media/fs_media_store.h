// The embedded media store: DIR/blobs/ab/abcdef... (the first two hex digits fan the
// files out over 256 directories) and DIR/staging/ for uploads in flight. Blobs are
// written to a temporary name, fsynced and renamed into place, so a crash never leaves a
// half blob. Stale staging files from a crash are removed at open.
#pragma once

#include <memory>
#include <string>

#include "server/media/media_store.h"
#include "server/media/signed_url.h"

namespace parley::media {

// Creates the directories as needed. Errors: kInternal.
Result<std::unique_ptr<MediaStore>> open_fs_media_store(const std::string& dir);

// The key that signs download links, kept in `path` (64 hex digits, mode 0600) so links
// survive a restart; created with random bytes when absent. Errors: kInternal (unreadable,
// malformed or unwritable).
Result<SigningKey> load_or_create_signing_key(const std::string& path);

}  // namespace parley::media
