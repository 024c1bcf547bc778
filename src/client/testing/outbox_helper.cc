// Test helper process for the outbox test: queues COUNT messages ("m0", "m1", ...) into
// CHAT through libparley's C API, prints "queued" once every one is stored, then waits to be
// killed. Usage: outbox_helper SERVER_URL DATABASE CHAT_ID COUNT
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "parley/client.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: outbox_helper SERVER_URL DATABASE CHAT_ID COUNT\n");
    return 2;
  }
  parley_client* client = parley_client_create();
  std::string start = std::string("{\"type\":\"start\",\"id\":0,\"server\":\"") + argv[1] +
                      "\",\"database\":\"" + argv[2] + "\"}";
  parley_client_send(client, start.c_str());
  const int count = std::atoi(argv[4]);
  for (int i = 0; i < count; ++i) {
    std::string send = "{\"type\":\"send_message\",\"id\":" + std::to_string(i + 1) +
                       ",\"chat_id\":" + argv[3] + ",\"text\":\"m" + std::to_string(i) + "\"}";
    parley_client_send(client, send.c_str());
  }
  // Answers come in request order; the last "queued" means every message is stored.
  int queued = 0;
  while (queued < count) {
    const char* text = parley_client_receive(client, 30.0);
    if (text == nullptr) return 1;
    if (std::strstr(text, "\"type\":\"queued\"") != nullptr) ++queued;
    if (std::strstr(text, "\"type\":\"error\"") != nullptr) {
      std::fprintf(stderr, "%s\n", text);
      return 1;
    }
  }
  std::printf("queued\n");
  std::fflush(stdout);
  for (;;) {
    // Keep the core running (sending, if the server is up) until SIGKILL.
    (void)parley_client_receive(client, 1.0);
  }
}
