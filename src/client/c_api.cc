// The C API of include/parley/client.h over Core. Nothing may throw across this boundary.
#include "parley/client.h"

#include <chrono>
#include <new>
#include <string>

#include "client/core.h"

struct parley_client {
  parley::client::Core core;
  std::string last;  // the text returned by the latest receive()
};

extern "C" {

parley_client* parley_client_create(void) {
  try {
    return new parley_client();
  } catch (...) {
    return nullptr;
  }
}

void parley_client_send(parley_client* client, const char* request_json) {
  if (client == nullptr || request_json == nullptr) return;
  try {
    client->core.send(request_json);
  } catch (...) {
    // Out of memory: the request is dropped; nothing sensible can be reported.
  }
}

const char* parley_client_receive(parley_client* client, double timeout_seconds) {
  if (client == nullptr) return nullptr;
  try {
    const auto timeout = std::chrono::milliseconds(
        timeout_seconds <= 0 ? 0 : static_cast<long long>(timeout_seconds * 1000.0));
    auto text = client->core.receive(timeout);
    if (!text) return nullptr;
    client->last = std::move(*text);
    return client->last.c_str();
  } catch (...) {
    return nullptr;
  }
}

void parley_client_destroy(parley_client* client) { delete client; }

}  // extern "C"
