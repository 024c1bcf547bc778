/* A plain C program (compiled as C, not C++) driving libparley through its C API: two
 * clients register, one sends, the other receives the message, the sender sees it sent and
 * delivered. Needs PARLEY_TEST_SERVER and PARLEY_TEST_DIR (see testing/with_parleyd.sh).
 * Exit status 0 when every check passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/client.h"

static int failures = 0;

#define CHECK(cond, what)                               \
  do {                                                  \
    if (!(cond)) {                                      \
      fprintf(stderr, "FAILED: %s (line %d)\n", what, __LINE__); \
      ++failures;                                       \
    }                                                   \
  } while (0)

/* Copies into `out` the first text received within 30 s that contains every one of the
 * NULL-terminated `needles`; returns 0 when none came. */
static int wait_for(parley_client* c, char* out, size_t size, const char* needles[]) {
  int rounds;
  for (rounds = 0; rounds < 300; ++rounds) {
    const char* text = parley_client_receive(c, 0.1);
    int i, all = 1;
    if (text == NULL) continue;
    for (i = 0; needles[i] != NULL; ++i) {
      if (strstr(text, needles[i]) == NULL) all = 0;
    }
    if (all) {
      snprintf(out, size, "%s", text);
      return 1;
    }
  }
  return 0;
}

static long field(const char* text, const char* key) {
  const char* at = strstr(text, key);
  return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

static parley_client* start_client(const char* server, const char* dir, const char* name) {
  char request[1024], answer[8192];
  const char* started[] = {"\"type\":\"started\"", NULL};
  const char* authorized[] = {"\"type\":\"authorized\"", NULL};
  parley_client* c = parley_client_create();
  CHECK(c != NULL, "create");
  snprintf(request, sizeof request,
           "{\"type\":\"start\",\"id\":1,\"server\":\"%s\",\"database\":\"%s/%s.db\"}", server, dir, name);
  parley_client_send(c, request);
  CHECK(wait_for(c, answer, sizeof answer, started), "started");
  snprintf(request, sizeof request,
           "{\"type\":\"register\",\"id\":2,\"username\":\"%s\",\"password\":\"pw-%s-long-enough\"}", name, name);
  parley_client_send(c, request);
  CHECK(wait_for(c, answer, sizeof answer, authorized), "registered");
  return c;
}

int main(void) {
  const char* server = getenv("PARLEY_TEST_SERVER");
  const char* dir = getenv("PARLEY_TEST_DIR");
  char answer[8192], request[512];
  parley_client *alice, *bob;
  long chat;
  const char* chat_answer[] = {"\"type\":\"chat\"", NULL};
  const char* queued[] = {"\"type\":\"queued\"", NULL};
  const char* received[] = {"\"type\":\"new_message\"", "hello from C", NULL};
  const char* sent[] = {"\"type\":\"message_state\"", "\"state\":\"sent\"", NULL};
  const char* delivered[] = {"\"type\":\"message_state\"", "\"state\":\"delivered\"", NULL};
  const char* bad[] = {"\"type\":\"error\"", "\"code\":\"bad_request\"", NULL};

  if (server == NULL || dir == NULL) {
    fprintf(stderr, "PARLEY_TEST_SERVER and PARLEY_TEST_DIR must be set\n");
    return 2;
  }
  alice = start_client(server, dir, "alice");
  bob = start_client(server, dir, "bob");

  parley_client_send(alice, "{\"type\":\"open_direct\",\"id\":3,\"username\":\"bob\"}");
  CHECK(wait_for(alice, answer, sizeof answer, chat_answer), "open_direct");
  chat = field(answer, "\"chat\":{\"id\":");
  CHECK(chat > 0, "a chat id");

  snprintf(request, sizeof request, "{\"type\":\"send_message\",\"id\":4,\"chat_id\":%ld,\"text\":\"hello from C\"}", chat);
  parley_client_send(alice, request);
  CHECK(wait_for(alice, answer, sizeof answer, queued), "queued");
  CHECK(wait_for(bob, answer, sizeof answer, received), "bob received the message");
  CHECK(wait_for(alice, answer, sizeof answer, sent), "alice saw it sent");
  CHECK(wait_for(alice, answer, sizeof answer, delivered), "alice saw it delivered");

  parley_client_send(alice, "not json");
  CHECK(wait_for(alice, answer, sizeof answer, bad), "a bad request is answered with bad_request");
  CHECK(parley_client_receive(alice, 0) == NULL || 1, "receive without waiting returns");
  parley_client_send(NULL, "{}");
  parley_client_destroy(NULL);

  parley_client_destroy(alice);
  parley_client_destroy(bob);
  if (failures == 0) printf("c api test passed\n");
  return failures == 0 ? 0 : 1;
}
