// ChatService: accounts and sessions.
#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/password_policy.h"
#include "server/chat/service.h"

namespace parley::chat {

namespace {

Error unauthenticated() {
  return Error::make(Errc::kUnauthenticated, "missing, unknown, expired or revoked token");
}

}  // namespace

ChatService::ChatService(store::Store& store, Notifier& notifier, ChatLimits limits)
    : store_(store),
      notifier_(notifier),
      limits_(limits),
      send_limiter_(limits.send_per_sec, limits.send_burst),
      other_limiter_(limits.other_per_sec, limits.other_burst),
      group_create_limiter_(limits.group_create_per_min / 60.0, limits.group_create_burst),
      group_add_limiter_(limits.group_add_per_min / 60.0, limits.group_add_burst),
      committer_(store, limits.commit_queue_limit, limits.commit_batch_max) {}

ChatService::~ChatService() { stop(); }

void ChatService::stop() { committer_.stop(); }

void ChatService::register_user(RegisterRequest r, Callback<LoginResult> done) {
  auto name = protocol::normalize_username(r.username);
  if (!name) return done(name.error());
  if (auto s = protocol::validate_display_name(r.display_name); !s) return done(s.error());
  if (auto s = protocol::validate_password(r.password); !s) return done(s.error());
  if (auto s = check_password_strength(r.password, *name); !s) return done(s.error());
  if (auto s = protocol::validate_device_name(r.device_name); !s) return done(s.error());

  // A taken name fails here, before the deliberately slow hash; the unique constraint in
  // the transaction still decides races between two registrations of one name.
  auto existing = store_.find_user_by_name(*name);
  if (!existing) return done(existing.error());
  if (existing->has_value())
    return done(Error::make(Errc::kUsernameTaken, "username '" + *name + "' is taken"));

  auto hash = hash_password(r.password, limits_.password_strength);
  if (!hash) return done(hash.error());

  int64_t now = now_ms();
  int64_t expires = now + limits_.session_ttl_ms;
  std::string token = new_token();
  std::string th = token_hash(token);
  committer_.submit(make_op<LoginResult>(
      [name = std::move(*name), display = std::move(r.display_name), hash = std::move(*hash),
       device = std::move(r.device_name), token = std::move(token), th = std::move(th), now,
       expires](store::WriteTxn& txn) -> Result<LoginResult> {
        auto user = txn.create_user(name, display, hash, now);
        if (!user) return user.error();
        auto session = txn.create_session(user->id, th, device, now, expires);
        if (!session) return session.error();
        return LoginResult{std::move(*user), token, session->id, expires};
      },
      std::move(done)));
}

void ChatService::login(std::string username, std::string password, std::string device_name,
                        Callback<LoginResult> done) {
  Error bad = Error::make(Errc::kInvalidCredentials, "wrong username or password");
  if (auto s = protocol::validate_device_name(device_name); !s) return done(s.error());
  auto name = protocol::normalize_username(username);
  if (!name || password.size() > protocol::kMaxPasswordBytes) {
    burn_verify_time(password);
    return done(bad);
  }
  auto creds = store_.find_credentials(*name);
  if (!creds) return done(creds.error());
  if (!creds->has_value()) {
    burn_verify_time(password);
    return done(bad);
  }
  if (!verify_password((*creds)->password_hash, password)) return done(bad);
  create_session(std::move((*creds)->user), std::move(device_name), std::move(done));
}

void ChatService::create_session(store::UserRecord user, std::string device_name,
                                 Callback<LoginResult> done) {
  int64_t now = now_ms();
  int64_t expires = now + limits_.session_ttl_ms;
  std::string token = new_token();
  std::string th = token_hash(token);
  committer_.submit(make_op<LoginResult>(
      [user = std::move(user), device = std::move(device_name), token = std::move(token),
       th = std::move(th), now, expires](store::WriteTxn& txn) -> Result<LoginResult> {
        // Read in the transaction that creates the session: a login racing a disable
        // either commits first (and the disable revokes its session) or fails here.
        auto disabled = txn.account_disabled(user.id);
        if (!disabled) return disabled.error();
        if (*disabled) return Error::make(Errc::kAccountDisabled, "this account is disabled");
        auto session = txn.create_session(user.id, th, device, now, expires);
        if (!session) return session.error();
        return LoginResult{user, token, session->id, expires};
      },
      std::move(done)));
}

Result<Principal> ChatService::authenticate(std::string_view token) {
  if (token.size() != 43) return unauthenticated();
  auto session = store_.find_session_by_token_hash(token_hash(token));
  if (!session) return session.error();
  if (!session->has_value()) return unauthenticated();
  const store::SessionRecord& s = **session;
  if (s.revoked || s.expires_at <= now_ms()) return unauthenticated();
  auto user = store_.find_user(s.user_id);
  if (!user) return user.error();
  if (!user->has_value()) return unauthenticated();
  return Principal{std::move(**user), s.id, s.expires_at};
}

void ChatService::logout(const Principal& who, Callback<Done> done) {
  int64_t user_id = who.user.id, session_id = who.session_id;
  committer_.submit(make_op<bool>(
      [user_id, session_id](store::WriteTxn& txn) { return txn.revoke_session(user_id, session_id); },
      Callback<bool>([this, user_id, session_id, done = std::move(done)](Result<bool> r) {
        if (!r) return done(r.error());
        notifier_.on_sessions_revoked(user_id, {session_id});
        done(Done{});
      })));
}

void ChatService::logout_others(const Principal& who, Callback<int64_t> done) {
  int64_t user_id = who.user.id, keep = who.session_id;
  committer_.submit(make_op<std::vector<int64_t>>(
      [user_id, keep](store::WriteTxn& txn) { return txn.revoke_other_sessions(user_id, keep); },
      Callback<std::vector<int64_t>>(
          [this, user_id, done = std::move(done)](Result<std::vector<int64_t>> r) {
            if (!r) return done(r.error());
            if (!r->empty()) notifier_.on_sessions_revoked(user_id, *r);
            done(static_cast<int64_t>(r->size()));
          })));
}

void ChatService::revoke_session(const Principal& who, int64_t session_id, Callback<Done> done) {
  int64_t user_id = who.user.id;
  committer_.submit(make_op<bool>(
      [user_id, session_id](store::WriteTxn& txn) { return txn.revoke_session(user_id, session_id); },
      Callback<bool>([this, user_id, session_id, done = std::move(done)](Result<bool> r) {
        if (!r) return done(r.error());
        if (!*r) return done(Error::make(Errc::kNotFound, "no such live session"));
        notifier_.on_sessions_revoked(user_id, {session_id});
        done(Done{});
      })));
}

Result<std::vector<store::SessionRecord>> ChatService::sessions(const Principal& who) {
  return store_.live_sessions(who.user.id, now_ms());
}

Result<store::UserRecord> ChatService::find_user(std::string_view username) {
  auto name = protocol::normalize_username(username);
  if (!name) return Error::make(Errc::kNotFound, "no such user");
  auto user = store_.find_user_by_name(*name);
  if (!user) return user.error();
  if (!user->has_value()) return Error::make(Errc::kNotFound, "no such user");
  return std::move(**user);
}

}  // namespace parley::chat
