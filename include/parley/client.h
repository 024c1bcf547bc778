/* libparley: the native client core of Parley, as a C API.
 *
 * A client runs its own network thread. The app talks to it with JSON texts: it sends
 * requests with parley_client_send() and receives answers (carrying the request's "id") and
 * updates (no "id") with parley_client_receive(). Every request and update is documented in
 * docs/client.md. No C++ type crosses this boundary; any language with a C FFI can bind it.
 *
 * Threading: every function may be called from any thread; send() never blocks on the
 * network. Use one thread to receive (the returned text is valid until that thread's next
 * receive on the same client, or destroy()).
 */
#ifndef PARLEY_CLIENT_H
#define PARLEY_CLIENT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_client parley_client;

/* Creates a client and starts its network thread. Returns NULL only when out of memory or
 * when no thread can be started. The first request should be {"type": "start", ...}. */
parley_client* parley_client_create(void);

/* Queues one request (a UTF-8 JSON object text; copied before returning). Exactly one answer
 * with the same "id" follows; a text that is not a JSON object is answered with an error
 * update {"type": "error", "code": "bad_request", "id": null}. NULL is ignored. */
void parley_client_send(parley_client* client, const char* request_json);

/* Waits up to `timeout_seconds` (0: do not wait) for the next answer or update and returns
 * it as a NUL-terminated JSON object text owned by the client, or NULL when none came. */
const char* parley_client_receive(parley_client* client, double timeout_seconds);

/* Closes the connection, stops the network thread and frees the client. Everything the
 * client stored (outbox included) stays in its database for the next run. NULL is ignored. */
void parley_client_destroy(parley_client* client);

#ifdef __cplusplus
}
#endif

#endif /* PARLEY_CLIENT_H */
