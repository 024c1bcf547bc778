// A chat::Notifier that passes every change on to the next notifier (the event publisher)
// and hands new, edited and deleted messages to push delivery, once one is attached (the
// delivery needs the committer, which exists only after the notifier). Called on the
// committer's finisher thread; adds one queue push per message.
#pragma once

#include <atomic>

#include "server/chat/calls.h"
#include "server/chat/service.h"
#include "server/push/delivery.h"

namespace parley::push {

class PushNotifier final : public chat::Notifier, public chat::CallListener {
 public:
  explicit PushNotifier(chat::Notifier& next) : next_(next) {}
  // The ring timeout: how long a call's push lives at the push service (its TTL).
  void set_call_ttl_s(int64_t ttl_s) { call_ttl_s_ = ttl_s; }
  // Starts (a delivery) or stops (null) handing messages over. Thread-safe.
  void attach(Delivery* delivery) { delivery_.store(delivery); }

  void on_message(const store::AppendOutcome& outcome, uint64_t origin_connection) override {
    next_.on_message(outcome, origin_connection);
    if (Delivery* d = delivery_.load()) d->on_message(outcome);
  }
  void on_receipt(const store::ReceiptOutcome& outcome) override { next_.on_receipt(outcome); }
  void on_conversation(const store::ConversationRecord& conversation, int64_t viewer_id) override {
    next_.on_conversation(conversation, viewer_id);
  }
  void on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& session_ids) override {
    next_.on_sessions_revoked(user_id, session_ids);
  }
  void on_message_changed(const store::MessageChange& change) override {
    next_.on_message_changed(change);
    if (Delivery* d = delivery_.load()) d->on_message_changed(change);
  }
  void on_message_hidden(const store::HideOutcome& outcome) override { next_.on_message_hidden(outcome); }
  // Reactions and chat states reach connected devices and sync only; they send no push.
  void on_reaction(const store::ReactionOutcome& outcome) override { next_.on_reaction(outcome); }
  void on_chat_state(const store::ChatStateOutcome& outcome) override { next_.on_chat_state(outcome); }
  void on_played(const store::PlayOutcome& outcome) override { next_.on_played(outcome); }

  // Calls (chat::CallListener, after api::CallEvents sent the live events): a ringing call is
  // pushed to the callee's devices that are not connected; one that ends unanswered, or is
  // answered on a device, is withdrawn. The rest of a call reaches only connected devices.
  void on_call_ringing(const store::CallRecord& call, const std::string&) override {
    if (Delivery* d = delivery_.load()) d->on_call(call, call_ttl_s_);
  }
  // Answered on another device: the other devices' ringing notifications go too.
  void on_call_accepted(const store::CallRecord& call, const std::string&) override {
    if (Delivery* d = delivery_.load()) d->on_call_withdrawn(call);
  }
  void on_call_ended(const store::CallRecord&, std::string_view, int64_t) override {}
  void on_call_ice(const store::CallRecord&, int64_t, const chat::IceCandidate&) override {}
  void on_call_withdrawn(const store::CallRecord& call) override {
    if (Delivery* d = delivery_.load()) d->on_call_withdrawn(call);
  }

 private:
  chat::Notifier& next_;
  std::atomic<Delivery*> delivery_{nullptr};
  int64_t call_ttl_s_ = 45;  // set before serving
};

}  // namespace parley::push
