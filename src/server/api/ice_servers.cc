#include "server/api/ice_servers.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/array.hpp>

namespace parley::api {

namespace json = boost::json;

namespace {

bool starts_with_any(std::string_view url, std::initializer_list<std::string_view> schemes) {
  for (std::string_view s : schemes)
    if (url.substr(0, s.size()) == s && url.size() > s.size()) return true;
  return false;
}

json::array urls(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& u : v) a.emplace_back(u);
  return a;
}

}  // namespace

Status validate(const IceConfig& c) {
  for (const auto& u : c.stun_urls)
    if (!starts_with_any(u, {"stun:", "stuns:"}))
      return Error::make(Errc::kInvalidArgument, "--stun-urls: '" + u + "' is not a stun: or stuns: url");
  for (const auto& u : c.turn_urls)
    if (!starts_with_any(u, {"turn:", "turns:"}))
      return Error::make(Errc::kInvalidArgument, "--turn-urls: '" + u + "' is not a turn: or turns: url");
  if (!c.turn_urls.empty() && c.secret.empty())
    return Error::make(Errc::kInvalidArgument, "--turn-urls needs --turn-secret-file (coturn's static-auth-secret)");
  if (c.ttl_s <= 0) return Error::make(Errc::kInvalidArgument, "--turn-ttl-s must be positive");
  return {};
}

std::string turn_credential(std::string_view secret, std::string_view username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &mac_len);
  std::string out(4 * ((mac_len + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

json::object ice_servers_json(const IceConfig& c, int64_t user_id, int64_t now_s) {
  json::array servers;
  if (!c.stun_urls.empty()) servers.push_back(json::object{{"urls", urls(c.stun_urls)}});
  if (!c.turn_urls.empty()) {
    const std::string username = std::to_string(now_s + c.ttl_s) + ":" + std::to_string(user_id);
    servers.push_back(json::object{{"urls", urls(c.turn_urls)},
                                   {"username", username},
                                   {"credential", turn_credential(c.secret, username)}});
  }
  return {{"ice_servers", std::move(servers)}, {"ttl_s", c.ttl_s}};
}

}  // namespace parley::api
