// A chat::Notifier that passes every change on to the next notifier (the event publisher)
// and hands new, edited and deleted messages to push delivery, once one is attached (the
// delivery needs the committer, which exists only after the notifier). Called on the
// committer thread; adds one queue push per message.
#pragma once

#include <atomic>

#include "server/chat/service.h"
#include "server/push/delivery.h"

namespace parley::push {

class PushNotifier final : public chat::Notifier {
 public:
  explicit PushNotifier(chat::Notifier& next) : next_(next) {}
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

 private:
  chat::Notifier& next_;
  std::atomic<Delivery*> delivery_{nullptr};
};

}  // namespace parley::push
