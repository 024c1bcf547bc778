#include "server/chat/attachments.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <sodium.h>

namespace parley::chat {

bool valid_media_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string image_attachment(const store::MediaRecord& m) {
  namespace json = boost::json;
  json::object thumbnail{{"mime", m.thumb_mime},
                         {"width", m.thumb_width},
                         {"height", m.thumb_height},
                         {"size", m.thumb_size}};
  json::object o{{"media_id", m.id},       {"mime", m.mime},     {"width", m.width},
                 {"height", m.height},     {"size", m.size},     {"placeholder", m.placeholder},
                 {"thumbnail", std::move(thumbnail)}};
  return json::serialize(o);
}

std::string file_attachment(const store::MediaRecord& m) {
  namespace json = boost::json;
  json::object o{{"media_id", m.id}, {"name", m.name}, {"mime", m.mime}, {"size", m.size}};
  return json::serialize(o);
}

std::string video_attachment(const store::MediaRecord& m) {
  namespace json = boost::json;
  json::object poster{{"mime", m.thumb_mime},
                      {"width", m.thumb_width},
                      {"height", m.thumb_height},
                      {"size", m.thumb_size}};
  json::object o{{"media_id", m.id},       {"mime", m.mime},
                 {"width", m.width},       {"height", m.height},
                 {"size", m.size},         {"duration_ms", m.duration_ms},
                 {"placeholder", m.placeholder}, {"poster", std::move(poster)}};
  return json::serialize(o);
}

Status validate_voice_meta(int64_t duration_ms, std::string_view waveform) {
  if (duration_ms < 1 || duration_ms > kMaxVoiceDurationMs)
    return Error::make(Errc::kInvalidArgument, "duration_ms must be between 1 and " +
                                                   std::to_string(kMaxVoiceDurationMs));
  unsigned char bytes[kWaveformBytes + 3];
  std::size_t n = 0;
  const char* end = nullptr;
  // Exactly 88 characters of the padded standard alphabet, nothing ignored.
  if (waveform.size() != 88 ||
      sodium_base642bin(bytes, sizeof bytes, waveform.data(), waveform.size(), nullptr, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != waveform.data() + waveform.size() || n != kWaveformBytes)
    return Error::make(Errc::kInvalidArgument,
                       "waveform must be the base64 of " + std::to_string(kWaveformBytes) + " bytes");
  return {};
}

std::string voice_attachment(const store::MediaRecord& m, int64_t duration_ms,
                             std::string_view waveform) {
  namespace json = boost::json;
  json::object o{{"media_id", m.id},           {"mime", m.mime},
                 {"size", m.size},             {"duration_ms", duration_ms},
                 {"waveform", waveform}};
  return json::serialize(o);
}

}  // namespace parley::chat
