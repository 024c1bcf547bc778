// VAPID (RFC 8292): the application server's identity towards push services. One P-256 key
// pair per installation; its public key is what browsers subscribe with
// (applicationServerKey), so it must stay the same for the subscriptions to keep working.
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/push/p256.h"

namespace parley::push {

class Vapid {
 public:
  // The key in `data_dir/vapid.pem`, created there (PKCS #8 PEM, mode 0600, created
  // exclusively so that two processes starting together keep the first one's) when absent.
  // Errors: kInternal (the file cannot be read, written, or holds no P-256 key).
  static Result<Vapid> load_or_create(const std::filesystem::path& data_dir, std::string subject);
  // A key given in configuration: the private scalar in base64url (the format web-push
  // tools print). Errors: kInvalidArgument.
  static Result<Vapid> from_private_base64url(std::string_view key, std::string subject);
  static Vapid from_key(P256Key key, std::string subject);

  // The public key in base64url (65-byte uncompressed point): what clients subscribe with.
  const std::string& public_key() const { return public_b64_; }
  const P256Key& key() const { return key_; }
  const std::string& subject() const { return subject_; }

  // The Authorization header value for a push to `endpoint` (an absolute https or http URL):
  // "vapid t=<ES256 JWT>, k=<public key>", the JWT's aud the endpoint's origin, exp
  // `now_s` + 12 hours, sub the subject (left out when empty). Errors: kInvalidArgument (no origin in endpoint),
  // kInternal.
  Result<std::string> authorization(std::string_view endpoint, int64_t now_s) const;

 private:
  Vapid(P256Key key, std::string subject);
  P256Key key_;
  std::string public_b64_;
  std::string subject_;
};

// The origin (scheme "://" host [":" port]) of an absolute URL, lower-cased scheme and host;
// empty if `url` has none.
std::string url_origin(std::string_view url);

}  // namespace parley::push
