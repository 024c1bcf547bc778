#include "server/push/vapid.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <boost/json/serialize.hpp>
#include <boost/json/object.hpp>

#include "server/push/base64url.h"

namespace parley::push {

namespace {

constexpr int64_t kTokenLifetimeS = 12 * 3600;  // RFC 8292 allows at most 24 hours

Error vapid_error(std::string what) { return Error::make(Errc::kInternal, std::move(what)); }

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return vapid_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Vapid::Vapid(P256Key key, std::string subject)
    : key_(std::move(key)), public_b64_(base64url_encode(key_.public_point())), subject_(std::move(subject)) {}

Vapid Vapid::from_key(P256Key key, std::string subject) { return Vapid(std::move(key), std::move(subject)); }

Result<Vapid> Vapid::from_private_base64url(std::string_view key, std::string subject) {
  auto raw = base64url_decode(key);
  if (!raw) return Error::make(Errc::kInvalidArgument, "the VAPID private key is not base64url");
  auto k = P256Key::from_private(*raw);
  if (!k) return k.error();
  return Vapid(std::move(*k), std::move(subject));
}

Result<Vapid> Vapid::load_or_create(const std::filesystem::path& data_dir, std::string subject) {
  const auto path = data_dir / "vapid.pem";
  auto fresh = P256Key::generate();
  if (!fresh) return fresh.error();
  const std::string pem = fresh->private_pem();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
      std::filesystem::remove(path);
      return vapid_error("cannot write " + path.string());
    }
    return Vapid(std::move(*fresh), std::move(subject));
  }
  if (errno != EEXIST) return vapid_error("cannot create " + path.string());
  auto text = read_file(path);
  if (!text) return text.error();
  auto key = P256Key::from_pem(*text);
  if (!key) return vapid_error(path.string() + ": " + key.error().message);
  return Vapid(std::move(*key), std::move(subject));
}

std::string url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const auto host_begin = scheme_end + 3;
  auto host_end = url.find_first_of("/?#", host_begin);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view authority = url.substr(host_begin, host_end - host_begin);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
  std::string out(url.substr(0, host_begin));
  out.append(authority);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Result<std::string> Vapid::authorization(std::string_view endpoint, int64_t now_s) const {
  const std::string aud = url_origin(endpoint);
  if (aud.empty()) return Error::make(Errc::kInvalidArgument, "the endpoint has no origin");
  boost::json::object header{{"typ", "JWT"}, {"alg", "ES256"}};
  boost::json::object claims{{"aud", aud}, {"exp", now_s + kTokenLifetimeS}};
  if (!subject_.empty()) claims["sub"] = subject_;
  std::string signing_input = base64url_encode(boost::json::serialize(header));
  signing_input.push_back('.');
  signing_input.append(base64url_encode(boost::json::serialize(claims)));
  auto sig = key_.sign_es256(signing_input);
  if (!sig) return sig.error();
  return "vapid t=" + signing_input + "." + base64url_encode(*sig) + ", k=" + public_b64_;
}

}  // namespace parley::push
