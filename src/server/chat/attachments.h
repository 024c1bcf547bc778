// What a message of kind "image" carries about its upload. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "server/store/store.h"

namespace parley::chat {

// Whether `id` has the form of an upload id: 32 lower-case hex digits.
bool valid_media_id(std::string_view id);

// The image object of docs/protocol.md ("Messages": image) as compact JSON:
// {"media_id","mime","width","height","size","placeholder",
//  "thumbnail":{"mime","width","height","size"}}. Stored with the message, so history
// and events carry it without reading the upload again.
std::string image_attachment(const store::MediaRecord& media);

}  // namespace parley::chat
