#include "server/push/p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <vector>

namespace parley::push {

Error crypto_error(std::string what) {
  return Error::make(Errc::kInternal, "crypto: " + std::move(what));
}

namespace {

Error invalid(std::string what) { return Error::make(Errc::kInvalidArgument, std::move(what)); }

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;
using Group = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using Point = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Sig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
void bio_free(BIO* b) { BIO_free(b); }
using Bio = std::unique_ptr<BIO, Deleter<BIO, bio_free>>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The uncompressed public point of a key (EVP_PKEY_get_octet_string_param may return the
// compressed form for keys imported that way; ours are always uncompressed).
std::string public_of(EVP_PKEY* key) {
  unsigned char buf[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1 || len != 65) return {};
  return std::string(reinterpret_cast<char*>(buf), len);
}

// EVP_PKEY_fromdata for P-256 with an optional private scalar and a public point.
EVP_PKEY* from_data(const BIGNUM* priv, std::string_view point) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld) return nullptr;
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1) return nullptr;
  if (OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return nullptr;
  if (priv && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1) return nullptr;
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return key;
}

}  // namespace

void P256Key::Free::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

P256Key::P256Key(EVP_PKEY* key, bool has_private)
    : key_(key, Free()), public_(public_of(key)), has_private_(has_private) {}

Result<P256Key> P256Key::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) return crypto_error("P-256 key generation failed");
  P256Key k(key, true);
  if (k.public_.size() != 65) return crypto_error("P-256 public key export failed");
  return k;
}

Result<P256Key> P256Key::from_private(std::string_view scalar) {
  if (scalar.size() != 32) return invalid("a P-256 private key is 32 bytes");
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  Bn d(BN_bin2bn(bytes(scalar), 32, nullptr));
  if (!group || !d) return crypto_error("out of memory");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0)
    return invalid("the P-256 private key is out of range");
  Point pub(EC_POINT_new(group.get()));
  if (!pub || EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, nullptr) != 1)
    return crypto_error("P-256 point multiplication failed");
  unsigned char buf[65];
  if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, buf, sizeof buf, nullptr) != 65)
    return crypto_error("P-256 point encoding failed");
  EVP_PKEY* key = from_data(d.get(), std::string_view(reinterpret_cast<char*>(buf), 65));
  if (!key) return crypto_error("P-256 key import failed");
  return P256Key(key, true);
}

Result<P256Key> P256Key::from_public(std::string_view point) {
  if (point.size() != 65 || point[0] != 0x04) return invalid("a P-256 public key is 65 bytes starting with 0x04");
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  Point p(group ? EC_POINT_new(group.get()) : nullptr);
  if (!p) return crypto_error("out of memory");
  if (EC_POINT_oct2point(group.get(), p.get(), bytes(point), point.size(), nullptr) != 1 ||
      EC_POINT_is_on_curve(group.get(), p.get(), nullptr) != 1)
    return invalid("the P-256 public key is not a point on the curve");
  EVP_PKEY* key = from_data(nullptr, point);
  if (!key) return invalid("the P-256 public key was refused");
  return P256Key(key, false);
}

Result<P256Key> P256Key::from_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return crypto_error("out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return invalid("not a PEM private key");
  char group[32] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
      std::string_view(group, len) != "prime256v1") {
    EVP_PKEY_free(key);
    return invalid("not a P-256 key");
  }
  P256Key k(key, true);
  if (k.public_.size() != 65) return invalid("the key's public point is not uncompressed");
  return k;
}

std::string P256Key::private_scalar() const {
  BIGNUM* raw = nullptr;
  if (!has_private_ || EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) return {};
  Bn d(raw);
  std::string out(32, '\0');
  BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(out.data()), 32);
  return out;
}

std::string P256Key::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || !has_private_ ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> P256Key::ecdh(const P256Key& peer) const {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.key_.get()) != 1)
    return crypto_error("ECDH setup failed");
  std::string secret(32, '\0');
  size_t len = secret.size();
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) != 1 || len != 32)
    return crypto_error("ECDH failed");
  return secret;
}

Result<std::string> P256Key::sign_es256(std::string_view data) const {
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) != 1)
    return crypto_error("signing setup failed");
  size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, bytes(data), data.size()) != 1) return crypto_error("signing failed");
  std::vector<unsigned char> der(len);
  if (EVP_DigestSign(md.get(), der.data(), &len, bytes(data), data.size()) != 1) return crypto_error("signing failed");
  // OpenSSL signs in DER (SEQUENCE of two INTEGERs); JWS wants the two numbers, fixed width.
  const unsigned char* p = der.data();
  Sig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return crypto_error("signature decoding failed");
  std::string out(64, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, 32) != 32 || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + 32, 32) != 32)
    return crypto_error("signature encoding failed");
  return out;
}

bool P256Key::verify_es256(std::string_view data, std::string_view signature) const {
  if (signature.size() != 64) return false;
  Sig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(signature), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(signature) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  MdCtx md(EVP_MD_CTX_new());
  const bool ok = md &&
                  EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) == 1 &&
                  EVP_DigestVerify(md.get(), der, static_cast<size_t>(der_len), bytes(data), data.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

}  // namespace parley::push
