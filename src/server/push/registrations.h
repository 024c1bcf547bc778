// Push registrations: a device (one session) tells the server where to push its
// notifications. Validation of hostile input lives here, before anything is queued; the
// writes go through the committer like every other write. Thread-safe (no mutable state);
// the read belongs on a worker thread, callbacks run on the committer's finisher thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/chat/committer.h"
#include "server/chat/service.h"
#include "server/store/store.h"

namespace parley::push {

struct RegistrationPolicy {
  // Accept http:// endpoints on a loopback host (127.0.0.0/8, [::1], localhost). For tests
  // and local development only; everything else must be https.
  bool allow_insecure_loopback = false;
  bool gateway_configured = false;  // without a gateway, gateway registrations are refused
  std::size_t max_endpoint_bytes = 2048;
  std::size_t max_app_id_bytes = 128;
  std::size_t max_pushkey_bytes = 512;
  store::PushSubscriptionLimits limits;  // per session and per user
};

// A registration as the client sent it.
struct NewRegistration {
  std::string kind;      // "webpush" | "gateway"
  std::string endpoint;  // webpush
  std::string p256dh;    // webpush, base64url of the 65-byte P-256 point
  std::string auth;      // webpush, base64url of the 16-byte secret
  std::string app_id;    // gateway
  std::string pushkey;   // gateway
};

// The stored form of a registration for `who`, or kInvalidArgument naming the field at
// fault: unknown kind; an endpoint that is not an absolute https URL (or http to loopback
// when allowed), too long, with user info, fragments, spaces or non-ASCII bytes; keys that
// do not decode to a P-256 point and a 16-byte secret; an app id outside [A-Za-z0-9._-]
// or a push key with spaces or controls, or either too long; a gateway kind with no gateway
// configured.
Result<store::PushSubscriptionRecord> validate_registration(const NewRegistration& r, const RegistrationPolicy& policy,
                                                            const chat::Principal& who, int64_t now);

class Registrations {
 public:
  Registrations(store::Store& store, chat::Committer& committer, RegistrationPolicy policy)
      : store_(store), committer_(committer), policy_(std::move(policy)) {}

  // Validates, then stores (store::WriteTxn::put_push_subscription). Errors: those of
  // validate_registration, kForbidden (limits), kUnavailable (the committer's queue is full).
  void subscribe(const chat::Principal& who, NewRegistration r,
                 chat::Callback<store::PushSubscriptionRecord> done) const;
  // The calling session's registrations, oldest first.
  Result<std::vector<store::PushSubscriptionRecord>> list(const chat::Principal& who) const;
  // Errors: kNotFound (no registration with this id in the calling session).
  void unsubscribe(const chat::Principal& who, int64_t id, chat::Callback<chat::Done> done) const;

  const RegistrationPolicy& policy() const { return policy_; }

 private:
  store::Store& store_;
  chat::Committer& committer_;
  const RegistrationPolicy policy_;
};

}  // namespace parley::push
