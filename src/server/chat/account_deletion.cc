// ChatService: a user deleting their own account. One transaction ends the sessions,
// erases what is personal (WriteTxn::delete_account), and leaves every group as the user
// leaving would; the events go out after the commit, the revocations last so that the
// user's devices are told before their sockets close.
#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/credentials.h"
#include "server/chat/group_change.h"
#include "server/chat/service.h"

namespace parley::chat {

namespace {

// What the deletion's transaction did, for the notifications after its commit.
struct Deletion {
  std::vector<int64_t> revoked_sessions;
  GroupChange groups;
  std::vector<std::pair<store::ConversationRecord, int64_t>> peer_views;  // (as seen by, peer)
};

// `already`: the answer when the account is found deleted (two deletions racing).
Result<Deletion> delete_in(store::WriteTxn& txn, int64_t user_id, int64_t now, const Error& already) {
  Deletion d;
  auto revoked = txn.revoke_other_sessions(user_id, 0);
  if (!revoked) return revoked.error();
  d.revoked_sessions = std::move(*revoked);
  auto deleted = txn.delete_account(user_id, now);
  if (!deleted) return deleted.error();
  // Two deletions racing (two devices): the second finds the account gone.
  if (!deleted->changed) return already;
  for (int64_t group_id : deleted->active_group_ids) {
    auto me = txn.member(group_id, user_id);
    if (!me) return me.error();
    if (!me->has_value() || (*me)->left_seq) continue;
    if (Status s = end_membership(txn, d.groups, group_id, user_id, **me); !s) return s.error();
  }
  for (int64_t direct_id : deleted->direct_ids) {
    auto mine = txn.conversation(direct_id, user_id);
    if (!mine) return mine.error();
    if (!mine->has_value()) continue;
    for (const auto& m : (*mine)->members) {
      if (m.user.id == user_id) continue;
      auto theirs = txn.conversation(direct_id, m.user.id);
      if (!theirs) return theirs.error();
      if (theirs->has_value()) d.peer_views.emplace_back(std::move(**theirs), m.user.id);
    }
  }
  return d;
}

}  // namespace

Error account_deleted_error() { return Error::make(Errc::kAccountDeleted, "this account was deleted"); }

void ChatService::delete_account(const Principal& who, std::string password, Callback<Done> done) {
  Error wrong = Error::make(Errc::kInvalidCredentials, "wrong password");
  if (password.size() > protocol::kMaxPasswordBytes) return done(wrong);
  auto creds = store_.find_credentials(who.user.username);
  if (!creds) return done(creds.error());
  if (!creds->has_value() || !verify_password((*creds)->password_hash, password)) return done(wrong);
  submit_deletion(who.user.id, Error::make(Errc::kUnauthenticated, "this account was deleted"),
                  Callback<int64_t>([done = std::move(done)](Result<int64_t> r) {
                    if (!r) return done(r.error());
                    done(Done{});
                  }));
}

void ChatService::admin_delete_user(std::string_view username, Callback<int64_t> done) {
  auto user = find_user(username);
  if (!user) return done(user.error());
  Error already = Error::make(Errc::kNotFound, "the account is already deleted");
  if (user->deleted()) return done(already);
  submit_deletion(user->id, std::move(already), std::move(done));
}

void ChatService::submit_deletion(int64_t user_id, Error already, Callback<int64_t> done) {
  const int64_t now = now_ms();
  committer_.submit(make_op<Deletion>(
      [user_id, now, already = std::move(already)](store::WriteTxn& txn) {
        return delete_in(txn, user_id, now, already);
      },
      Callback<Deletion>([this, user_id, done = std::move(done)](Result<Deletion> r) {
        if (!r) return done(r.error());
        for (const auto& e : r->groups.events) notifier_.on_message(e, 0);
        for (const auto& [view, peer] : r->peer_views) notifier_.on_conversation(view, peer);
        if (!r->revoked_sessions.empty()) notifier_.on_sessions_revoked(user_id, r->revoked_sessions);
        done(static_cast<int64_t>(r->revoked_sessions.size()));
      })));
}

}  // namespace parley::chat
