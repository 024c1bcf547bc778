// A minimal blocking HTTP/1.1 client for parleyd's own command-line tools (`parleyd admin`
// talking to a running server). One request per connection. Not for the server's hot
// paths: it blocks the calling thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace parley::net {

struct ClientRequest {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  bool tls = false;  // HTTPS, without verifying the certificate: for a server on this machine
  std::string method = "GET";
  std::string target = "/";
  std::string bearer;  // sent as "Authorization: Bearer ..." when not empty
  std::string body;    // sent as application/json when not empty
  int timeout_ms = 30000;
};

struct ClientResponse {
  int status = 0;
  std::string body;
};

// Errors: kUnavailable when the server cannot be reached or the exchange fails.
Result<ClientResponse> http_call(const ClientRequest& request);

}  // namespace parley::net
