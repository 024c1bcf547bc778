// What a message of kind "image", "file", "voice" or "video" carries about its upload. Pure;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

#include "server/store/store.h"

namespace parley::chat {

// Whether `id` has the form of an upload id: 32 lower-case hex digits.
bool valid_media_id(std::string_view id);

// The image object of docs/protocol.md ("Messages": image) as compact JSON:
// {"media_id","mime","width","height","size","placeholder",
//  "thumbnail":{"mime","width","height","size"}}. Stored with the message, so history
// and events carry it without reading the upload again.
std::string image_attachment(const store::MediaRecord& media);

// The file object (docs/protocol.md, "Files and voice messages"):
// {"media_id","name","mime","size"}.
std::string file_attachment(const store::MediaRecord& media);

// The video object (docs/protocol.md, "Videos"): {"media_id","mime","width","height",
// "size","duration_ms","placeholder","poster":{"mime","width","height","size"}}.
std::string video_attachment(const store::MediaRecord& media);

// A voice message's recording: at most this long, with a waveform of exactly this many
// peak levels (0..255, one per equal slice of the recording), sent by the client as
// standard base64 (88 characters). The server does not decode the audio: both are the
// sender's claim, checked for shape and bounds only (validate_voice_meta).
inline constexpr int64_t kMaxVoiceDurationMs = 30 * 60 * 1000;
inline constexpr std::size_t kWaveformBytes = 64;

// Errors: kInvalidArgument (duration_ms outside 1..kMaxVoiceDurationMs, or waveform not
// the standard base64 of kWaveformBytes bytes).
Status validate_voice_meta(int64_t duration_ms, std::string_view waveform_base64);

// The voice object: {"media_id","mime","size","duration_ms","waveform"} (waveform as sent,
// base64). Call with validated values.
std::string voice_attachment(const store::MediaRecord& media, int64_t duration_ms,
                             std::string_view waveform_base64);

}  // namespace parley::chat
