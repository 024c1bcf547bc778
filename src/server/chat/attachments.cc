#include "server/chat/attachments.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

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

}  // namespace parley::chat
