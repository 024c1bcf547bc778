#include "server/push/registrations.h"

#include "common/clock.h"

namespace parley::push {

void Registrations::subscribe(const chat::Principal& who, NewRegistration r,
                              chat::Callback<store::PushSubscriptionRecord> done) const {
  auto record = validate_registration(r, policy_, who, now_ms());
  if (!record) return done(record.error());
  committer_.submit(chat::make_op<store::PushSubscriptionRecord>(
      [record = std::move(*record), limits = policy_.limits](store::WriteTxn& txn) {
        return txn.put_push_subscription(record, limits);
      },
      std::move(done)));
}

Result<std::vector<store::PushSubscriptionRecord>> Registrations::list(const chat::Principal& who) const {
  return store_.push_subscriptions(who.user.id, who.session_id);
}

void Registrations::unsubscribe(const chat::Principal& who, int64_t id, chat::Callback<chat::Done> done) const {
  const int64_t user = who.user.id, session = who.session_id;
  committer_.submit(chat::make_op<bool>(
      [user, session, id](store::WriteTxn& txn) { return txn.delete_push_subscription(user, session, id); },
      chat::Callback<bool>([done = std::move(done)](Result<bool> r) {
        if (!r) return done(r.error());
        if (!*r) return done(Error::make(Errc::kNotFound, "no such push subscription"));
        done(chat::Done{});
      })));
}

}  // namespace parley::push
