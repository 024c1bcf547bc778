// ChatService: the operator's commands. They bypass the per-user and per-address limits
// (only the operator reaches them) but not the rules: names and passwords are validated
// as for a user, and every revocation goes through the Notifier, so the revoked devices'
// sockets close at once wherever they are connected.
#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/password_policy.h"
#include "server/chat/service.h"

namespace parley::chat {

Result<ChatService::AdminUser> ChatService::admin_user(std::string_view username) {
  auto user = find_user(username);
  if (!user) return user.error();
  auto disabled = store_.disabled_at(user->id);
  if (!disabled) return disabled.error();
  auto sessions = store_.live_sessions(user->id, now_ms());
  if (!sessions) return sessions.error();
  return AdminUser{std::move(*user), *disabled, std::move(*sessions)};
}

void ChatService::admin_create_user(std::string username, std::string display_name, std::string password,
                                    Callback<store::UserRecord> done) {
  auto name = protocol::normalize_username(username);
  if (!name) return done(name.error());
  if (auto s = protocol::validate_display_name(display_name); !s) return done(s.error());
  if (auto s = protocol::validate_password(password); !s) return done(s.error());
  if (auto s = check_password_strength(password, *name); !s) return done(s.error());
  auto hash = hash_password(password, limits_.password_strength);
  if (!hash) return done(hash.error());
  const int64_t now = now_ms();
  committer_.submit(make_op<store::UserRecord>(
      [name = std::move(*name), display = std::move(display_name), hash = std::move(*hash),
       now](store::WriteTxn& txn) { return txn.create_user(name, display, hash, now); },
      std::move(done)));
}

void ChatService::admin_set_password(std::string_view username, std::string password, Callback<int64_t> done) {
  auto user = find_user(username);
  if (!user) return done(user.error());
  if (auto s = protocol::validate_password(password); !s) return done(s.error());
  if (auto s = check_password_strength(password, user->username); !s) return done(s.error());
  auto hash = hash_password(password, limits_.password_strength);
  if (!hash) return done(hash.error());
  const int64_t user_id = user->id;
  committer_.submit(make_op<std::vector<int64_t>>(
      [user_id, hash = std::move(*hash)](store::WriteTxn& txn) -> Result<std::vector<int64_t>> {
        if (Status s = txn.set_password_hash(user_id, hash); !s) return s.error();
        return txn.revoke_other_sessions(user_id, 0);
      },
      Callback<std::vector<int64_t>>([this, user_id, done = std::move(done)](Result<std::vector<int64_t>> r) {
        if (!r) return done(r.error());
        if (!r->empty()) notifier_.on_sessions_revoked(user_id, *r);
        done(static_cast<int64_t>(r->size()));
      })));
}

void ChatService::admin_set_disabled(std::string_view username, bool disabled, Callback<int64_t> done) {
  auto user = find_user(username);
  if (!user) return done(user.error());
  const int64_t user_id = user->id;
  const int64_t now = now_ms();
  committer_.submit(make_op<std::vector<int64_t>>(
      [user_id, disabled, now](store::WriteTxn& txn) -> Result<std::vector<int64_t>> {
        auto changed = txn.set_account_disabled(user_id, disabled, now);
        if (!changed) return changed.error();
        if (!disabled) return std::vector<int64_t>{};
        // Also when it was already disabled: a session made before is not left behind.
        return txn.revoke_other_sessions(user_id, 0);
      },
      Callback<std::vector<int64_t>>([this, user_id, done = std::move(done)](Result<std::vector<int64_t>> r) {
        if (!r) return done(r.error());
        if (!r->empty()) notifier_.on_sessions_revoked(user_id, *r);
        done(static_cast<int64_t>(r->size()));
      })));
}

void ChatService::admin_revoke_sessions(std::string_view username, Callback<int64_t> done) {
  auto user = find_user(username);
  if (!user) return done(user.error());
  const int64_t user_id = user->id;
  committer_.submit(make_op<std::vector<int64_t>>(
      [user_id](store::WriteTxn& txn) { return txn.revoke_other_sessions(user_id, 0); },
      Callback<std::vector<int64_t>>([this, user_id, done = std::move(done)](Result<std::vector<int64_t>> r) {
        if (!r) return done(r.error());
        if (!r->empty()) notifier_.on_sessions_revoked(user_id, *r);
        done(static_cast<int64_t>(r->size()));
      })));
}

Result<store::StoreCounts> ChatService::admin_counts() { return store_.counts(now_ms()); }

}  // namespace parley::chat
