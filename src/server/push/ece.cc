#include "server/push/ece.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace parley::push {

namespace {

constexpr uint32_t kRecordSize = 4096;
constexpr char kPaddingDelimiterLast = 0x02;  // RFC 8188: the last (and only) record


struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* k) const { EVP_KDF_CTX_free(k); }
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

Result<std::string> aes128gcm_seal(std::string_view key, std::string_view nonce, std::string_view plaintext) {
  std::unique_ptr<EVP_CIPHER_CTX, KdfFree> ctx(EVP_CIPHER_CTX_new());
  auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  std::string out(plaintext.size() + 16, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_EncryptInit_ex2(ctx.get(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(nonce.data()), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o, &len, in, static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, o + len + fin) != 1)
    return crypto_error("AES-128-GCM failed");
  out.resize(static_cast<size_t>(len + fin) + 16);
  return out;
}

}  // namespace

Result<std::string> hkdf_sha256(std::string_view salt, std::string_view ikm, std::string_view info, size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return crypto_error("HKDF unavailable");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length, params) != 1)
    return crypto_error("HKDF failed");
  return out;
}

Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, const EceFixed& fixed) {
  if (plaintext.size() > kMaxPushPlaintext)
    return Error::make(Errc::kMessageTooLong, "a push payload is at most 3993 bytes");
  if (auth_secret.size() != 16) return Error::make(Errc::kInvalidArgument, "the auth secret is 16 bytes");
  auto ua = P256Key::from_public(ua_public);
  if (!ua) return ua.error();

  std::optional<P256Key> fresh;
  if (!fixed.sender_key) {
    auto k = P256Key::generate();
    if (!k) return k.error();
    fresh.emplace(std::move(*k));
  }
  const P256Key& as = fixed.sender_key ? *fixed.sender_key : *fresh;
  std::string salt(16, '\0');
  if (fixed.salt) {
    if (fixed.salt->size() != 16) return Error::make(Errc::kInvalidArgument, "the salt is 16 bytes");
    salt = *fixed.salt;
  } else if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16) != 1) {
    return crypto_error("no random salt");
  }

  // RFC 8291 section 3.3 and 3.4: the shared secret, mixed with the auth secret and both
  // public keys into the input keying material; then RFC 8188's key and nonce from the salt.
  auto shared = as.ecdh(*ua);
  if (!shared) return shared.error();
  std::string key_info = "WebPush: info";
  key_info.push_back('\0');
  key_info.append(ua_public).append(as.public_point());
  auto ikm = hkdf_sha256(auth_secret, *shared, key_info, 32);
  if (!ikm) return ikm.error();
  auto cek = hkdf_sha256(salt, *ikm, std::string_view("Content-Encoding: aes128gcm\0", 28), 16);
  if (!cek) return cek.error();
  auto nonce = hkdf_sha256(salt, *ikm, std::string_view("Content-Encoding: nonce\0", 24), 12);
  if (!nonce) return nonce.error();

  std::string record(plaintext);
  record.push_back(kPaddingDelimiterLast);
  auto sealed = aes128gcm_seal(*cek, *nonce, record);
  if (!sealed) return sealed.error();

  // Header: salt (16) || record size (4, big-endian) || key id length (1) || key id.
  std::string body = salt;
  for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>((kRecordSize >> shift) & 0xFF));
  body.push_back(static_cast<char>(as.public_point().size()));
  body.append(as.public_point());
  body.append(*sealed);
  return body;
}

}  // namespace parley::push
