// P-256 keys on OpenSSL 3: the one curve Web Push uses, for both the per-message ECDH of
// RFC 8291 and the ES256 signatures of RFC 8292. Keys are immutable after construction and
// safe to use from several threads at once (each call makes its own OpenSSL contexts).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace parley::push {

// An OpenSSL or random-source failure: kInternal, "crypto: " + what.
Error crypto_error(std::string what);

class P256Key {
 public:
  // A fresh random key pair. Errors: kInternal (the random source or OpenSSL failed).
  static Result<P256Key> generate();
  // The private scalar as 32 big-endian bytes. Errors: kInvalidArgument (wrong length, zero or
  // not below the group order).
  static Result<P256Key> from_private(std::string_view scalar);
  // A public-only key from its 65-byte uncompressed point (0x04 || x || y), as a browser's
  // p256dh. Errors: kInvalidArgument (wrong length, wrong prefix, not on the curve).
  static Result<P256Key> from_public(std::string_view point);
  // A private key from PEM (PKCS #8 or SEC 1). Errors: kInvalidArgument (not a P-256 key).
  static Result<P256Key> from_pem(std::string_view pem);

  // 65 bytes: 0x04 || x || y.
  const std::string& public_point() const { return public_; }
  bool has_private() const { return has_private_; }
  // The private scalar (32 bytes); only with has_private().
  std::string private_scalar() const;
  // PKCS #8 PEM of the private key; only with has_private().
  std::string private_pem() const;

  // The 32-byte ECDH shared secret (the x coordinate) with `peer`. Requires has_private().
  // Errors: kInternal.
  Result<std::string> ecdh(const P256Key& peer) const;
  // ES256 (ECDSA over SHA-256) of `data` in JWS form: r || s, 32 bytes each (not DER).
  // Requires has_private(). Errors: kInternal.
  Result<std::string> sign_es256(std::string_view data) const;
  // Whether `signature` (r || s) is this key's ES256 signature of `data`.
  bool verify_es256(std::string_view data, std::string_view signature) const;

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const;
  };
  P256Key(EVP_PKEY* key, bool has_private);
  std::shared_ptr<EVP_PKEY> key_;
  std::string public_;
  bool has_private_ = false;
};

}  // namespace parley::push
