// HttpPoster over Boost.Beast with OpenSSL: one I/O thread of its own, one connection per
// request (push services are few and a request is small; a pool would only save handshakes).
// TLS verifies the peer's certificate chain against the system's CA store, plus an optional
// CA file, and the certificate's host name; SNI is sent. Every request has one deadline
// covering resolve, connect, handshake, write and read. Answers are read up to 64 KiB.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "server/push/http_poster.h"

namespace parley::push {

struct HttpsClientOptions {
  std::string ca_file;  // PEM file of extra trusted CAs (tests: a self-signed push service)
  std::chrono::milliseconds timeout{10000};
  // TESTS ONLY: let HttpPost::public_only requests reach special addresses too (a fake push
  // service on loopback).
  bool allow_private_addresses = false;
};

// Whether an address is one a client-supplied URL may reach: not unspecified, loopback,
// private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), link-local (169.254/16,
// fe80::/10), multicast, 0/8, 240/4 or broadcast; IPv4-mapped IPv6 is judged as IPv4.
bool is_public_address(const std::string& address);

class HttpsClient final : public HttpPoster {
 public:
  // Errors: kInvalidArgument (the CA file cannot be loaded), kInternal.
  static Result<std::unique_ptr<HttpsClient>> make(HttpsClientOptions options);
  ~HttpsClient() override;  // stops the thread; requests in flight are abandoned (no `done`)

  void post(HttpPost request, std::function<void(HttpAnswer)> done) override;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::push
