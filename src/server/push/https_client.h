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
};

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
