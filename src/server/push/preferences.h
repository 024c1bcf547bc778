// A user's notification preferences: per-conversation mute and the privacy of what a push
// shows. Both are stored (the member row, the user row) and written through the committer.
// Thread-safe (no mutable state); reads belong on a worker, callbacks run on the committer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/chat/committer.h"
#include "server/chat/service.h"
#include "server/store/store.h"

namespace parley::push {

// muted_until for a mute request at `now`: "8h" and "1w" from now, "always"
// (store::kMutedAlways), "off" (0). Errors: kInvalidArgument for anything else.
Result<int64_t> mute_until(std::string_view duration, int64_t now);

class Preferences {
 public:
  Preferences(store::Store& store, chat::Committer& committer) : store_(store), committer_(committer) {}

  // Mutes (or unmutes) one conversation for the caller; the result is the stored
  // muted_until. Errors: kInvalidArgument (duration), kNotFound (not an active member).
  void mute(const chat::Principal& who, int64_t conversation_id, std::string_view duration,
            chat::Callback<int64_t> done) const;
  // "full" or "hidden". Errors: kInvalidArgument, kNotFound.
  void set_preview(const chat::Principal& who, std::string preview, chat::Callback<chat::Done> done) const;
  Result<std::string> preview(const chat::Principal& who) const;

 private:
  store::Store& store_;
  chat::Committer& committer_;
};

}  // namespace parley::push
