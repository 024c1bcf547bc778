// What the operations of docs/protocol.md's "Push notifications" section use. Constant
// after construction; every member is thread-safe.
#pragma once

#include <string>

#include "server/push/preferences.h"
#include "server/push/registrations.h"

namespace parley::push {

struct PushApi {
  const Registrations& registrations;
  const Preferences& preferences;
  std::string vapid_public_key;  // base64url, what browsers subscribe with
};

}  // namespace parley::push
