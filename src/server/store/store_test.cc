// The Store conformance suite: what store.h promises, checked through the interface only.
// Every implementation is instantiated at the bottom with a factory that hands out a fresh,
// empty store per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <thread>
#include <utility>
#include <vector>

#include "server/store/postgres/pg_store.h"
#include "server/store/postgres/test_postgres.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/store/store.h"
#include "server/store/store_test_support.h"

namespace parley::store {
namespace {

using test::in_txn;
using test::write_batch;

// Owns whatever backs one store (a file, a schema) for the duration of a test.
class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual std::unique_ptr<Store> open() = 0;
};

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StoreHarness>()> make;
};
void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

std::vector<int64_t> seqs(const std::vector<MessageRecord>& messages) {
  std::vector<int64_t> out;
  for (const auto& m : messages) out.push_back(m.seq);
  return out;
}

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    store_ = harness_->open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    harness_.reset();
  }

  Store& store() { return *store_; }

  UserRecord user(const std::string& name, int64_t now = 100) {
    auto created = in_txn(store(), [&](WriteTxn& txn) {
      return txn.create_user(name, "Display " + name, "hash-" + name, now);
    });
    EXPECT_TRUE(created.ok());
    return created.ok() ? created.value() : UserRecord{};
  }

  ConversationRecord direct(int64_t a, int64_t b, int64_t now = 200) {
    auto outcome =
        in_txn(store(), [&](WriteTxn& txn) { return txn.get_or_create_direct(a, b, now); });
    EXPECT_TRUE(outcome.ok());
    return outcome.ok() ? outcome->conversation : ConversationRecord{};
  }

  Result<AppendOutcome> append(int64_t conversation_id, int64_t sender_id,
                               const std::string& client_id, int64_t ts = 1000,
                               const std::string& text = "hello") {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.append_message(NewMessage{conversation_id, sender_id, client_id, "text", text, ts});
    });
  }

  MessageRecord send(int64_t conversation_id, int64_t sender_id, const std::string& client_id,
                     int64_t ts = 1000, const std::string& text = "hello") {
    auto outcome = append(conversation_id, sender_id, client_id, ts, text);
    EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
    return outcome.ok() ? outcome->message : MessageRecord{};
  }

  Result<ReceiptOutcome> receipt(int64_t conversation_id, int64_t user_id, int64_t delivered,
                                 int64_t read) {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.advance_receipt(conversation_id, user_id, delivered, read);
    });
  }

  int64_t version() {
    auto v = store().current_version();
    EXPECT_TRUE(v.ok());
    return v.ok() ? v.value() : -1;
  }

  ConversationRecord seen_by(int64_t conversation_id, int64_t user_id) {
    auto found = store().conversation_for_member(conversation_id, user_id);
    EXPECT_TRUE(found.ok());
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : ConversationRecord{};
  }

  const MemberRecord& member(const ConversationRecord& c, int64_t user_id) {
    for (const MemberRecord& m : c.members) {
      if (m.user.id == user_id) return m;
    }
    ADD_FAILURE() << "user " << user_id << " is not a member";
    static const MemberRecord kNone;
    return kNone;
  }

  // ---- groups ----

  ConversationRecord group(int64_t creator_id, const std::string& name = "Team",
                           int64_t now = 300) {
    auto created = in_txn(store(), [&](WriteTxn& txn) {
      return txn.create_group(creator_id, name, "About " + name, now);
    });
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created.value() : ConversationRecord{};
  }

  Status add(int64_t conversation_id, int64_t user_id, int64_t joined_seq, int64_t now = 400,
             const std::string& role = "member") {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.add_member(conversation_id, user_id, role, joined_seq, now);
    });
  }

  Status remove(int64_t conversation_id, int64_t user_id, int64_t left_seq) {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.remove_member(conversation_id, user_id, left_seq);
    });
  }

  // A group event as the domain records it: a "system" message describing it.
  MessageRecord system(int64_t conversation_id, int64_t actor_id, const std::string& client_id,
                       const std::string& event, int64_t ts = 1000) {
    auto outcome = in_txn(store(), [&](WriteTxn& txn) {
      return txn.append_message(NewMessage{conversation_id, actor_id, client_id, "system",
                                           "{\"event\":\"" + event + "\"}", ts});
    });
    EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
    return outcome.ok() ? outcome->message : MessageRecord{};
  }

  std::vector<int64_t> member_ids(const std::vector<MemberRecord>& members) {
    std::vector<int64_t> out;
    for (const auto& m : members) out.push_back(m.user.id);
    return out;
  }

  std::vector<int64_t> visible_seqs(int64_t user_id, int64_t conversation_id) {
    auto page = store().history(user_id, {conversation_id, std::nullopt, 0, 200});
    EXPECT_TRUE(page.ok());
    return page.ok() ? seqs(page->items) : std::vector<int64_t>{};
  }

  // ---- contacts, blocking, presence ----

  Result<ContactRecord> contact(int64_t owner_id, int64_t contact_id,
                                const std::string& nickname = "", int64_t now = 500) {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.upsert_contact(owner_id, contact_id, nickname, now);
    });
  }

  Result<bool> block(int64_t blocker_id, int64_t blocked_id, bool on = true, int64_t now = 500) {
    return in_txn(store(), [&](WriteTxn& txn) {
      return txn.set_block(blocker_id, blocked_id, on, now);
    });
  }

  bool blocked_in(int64_t conversation_id, int64_t sender_id) {
    auto blocked = in_txn(store(), [&](WriteTxn& txn) {
      return txn.blocked_in_direct(conversation_id, sender_id);
    });
    EXPECT_TRUE(blocked.ok());
    return blocked.ok() && blocked.value();
  }

  std::vector<int64_t> contact_ids(int64_t owner_id) {
    auto contacts = store().contacts(owner_id);
    EXPECT_TRUE(contacts.ok());
    std::vector<int64_t> out;
    if (contacts.ok()) {
      for (const ContactRecord& c : *contacts) out.push_back(c.user.id);
    }
    return out;
  }

  // The store promises no order for these id lists: compared sorted.
  static std::vector<int64_t> sorted(Result<std::vector<int64_t>> ids) {
    EXPECT_TRUE(ids.ok()) << (ids.ok() ? "" : ids.error().message);
    if (!ids.ok()) return {};
    std::vector<int64_t> out = std::move(ids).value();
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<int64_t> audience(int64_t viewer_id, const std::vector<int64_t>& targets) {
    return sorted(store().presence_audience(viewer_id, targets));
  }

  std::unique_ptr<StoreHarness> harness_;
  std::unique_ptr<Store> store_;
};

std::vector<std::string> usernames(const Result<std::vector<UserRecord>>& users) {
  EXPECT_TRUE(users.ok()) << (users.ok() ? "" : users.error().message);
  std::vector<std::string> out;
  if (users.ok()) {
    for (const UserRecord& u : *users) out.push_back(u.username);
  }
  return out;
}

std::vector<int64_t> ids(const std::vector<ConversationRecord>& conversations) {
  std::vector<int64_t> out;
  for (const auto& c : conversations) out.push_back(c.id);
  return out;
}

// ---- accounts ---------------------------------------------------------------------------

TEST_P(StoreConformance, CreatedUserIsFoundByIdNameAndCredentials) {
  UserRecord alice = user("alice", 42);
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.username, "alice");
  EXPECT_EQ(alice.display_name, "Display alice");
  EXPECT_EQ(alice.created_at, 42);

  auto by_id = store().find_user(alice.id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ((*by_id)->username, "alice");
  auto by_name = store().find_user_by_name("alice");
  ASSERT_TRUE(by_name.ok() && by_name->has_value());
  EXPECT_EQ((*by_name)->id, alice.id);
  auto credentials = store().find_credentials("alice");
  ASSERT_TRUE(credentials.ok() && credentials->has_value());
  EXPECT_EQ((*credentials)->user.id, alice.id);
  EXPECT_EQ((*credentials)->password_hash, "hash-alice");

  EXPECT_FALSE(store().find_user(alice.id + 100)->has_value());
  EXPECT_FALSE(store().find_user_by_name("bob")->has_value());
  EXPECT_FALSE(store().find_credentials("bob")->has_value());
}

// stats() counts one COMMIT per batch, however many ops it holds, and only batches that
// committed.
TEST_P(StoreConformance, CommitsAreCountedOncePerBatch) {
  const StoreStats before = store().stats();
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  const ConversationRecord c = direct(alice.id, bob.id);
  const StoreStats singles = store().stats();
  EXPECT_EQ(singles.commits, before.commits + 3);
  EXPECT_GE(singles.commit_finish_us, before.commit_finish_us);

  // Three sends in one batch: one COMMIT. An op that fails is rolled back alone and its
  // batch still commits once.
  ASSERT_TRUE(write_batch(store(), {
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(NewMessage{c.id, alice.id, "b1", "text", "one", 1000}).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(NewMessage{c.id, bob.id, "b2", "text", "two", 1001}).ok()); },
      [&](WriteTxn& t) { ASSERT_FALSE(t.create_user("alice", "Again", "hash", 1002).ok()); },
      [&](WriteTxn& t) { ASSERT_TRUE(t.append_message(NewMessage{c.id, alice.id, "b3", "text", "three", 1003}).ok()); },
  }).ok());
  const StoreStats batched = store().stats();
  EXPECT_EQ(batched.commits, singles.commits + 1);
  EXPECT_GE(batched.commit_finish_us, singles.commit_finish_us);
}

TEST_P(StoreConformance, UsernameTakenIsRejectedAndWritesNothing) {
  UserRecord alice = user("alice");
  auto again = in_txn(store(), [&](WriteTxn& txn) {
    return txn.create_user("alice", "Other", "other-hash", 500);
  });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kUsernameTaken);
  auto credentials = store().find_credentials("alice");
  ASSERT_TRUE(credentials.ok() && credentials->has_value());
  EXPECT_EQ((*credentials)->password_hash, "hash-alice");
  EXPECT_EQ((*credentials)->user.display_name, "Display alice");
  EXPECT_EQ((*credentials)->user.id, alice.id);
}

TEST_P(StoreConformance, SessionsAreFoundByTokenHashAndListedLiveOldestFirst) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  auto create = [&](int64_t uid, const std::string& token, int64_t now, int64_t expires) {
    auto s = in_txn(store(), [&](WriteTxn& txn) {
      return txn.create_session(uid, token, "dev-" + token, now, expires);
    });
    EXPECT_TRUE(s.ok());
    return s.ok() ? s.value() : SessionRecord{};
  };
  SessionRecord first = create(alice.id, "t1", 10, 1000);
  SessionRecord expired = create(alice.id, "t2", 20, 50);
  SessionRecord second = create(alice.id, "t3", 30, 2000);
  create(bob.id, "t4", 40, 2000);

  auto found = store().find_session_by_token_hash("t3");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, second.id);
  EXPECT_EQ((*found)->user_id, alice.id);
  EXPECT_EQ((*found)->device_name, "dev-t3");
  EXPECT_EQ((*found)->created_at, 30);
  EXPECT_EQ((*found)->expires_at, 2000);
  EXPECT_FALSE((*found)->revoked);
  EXPECT_FALSE(store().find_session_by_token_hash("nope")->has_value());

  auto live = store().live_sessions(alice.id, 100);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].id, first.id);
  EXPECT_EQ((*live)[1].id, second.id);
  EXPECT_NE((*live)[0].id, expired.id);

  auto unknown = in_txn(store(), [&](WriteTxn& txn) {
    return txn.create_session(alice.id + bob.id + 100, "t5", "x", 1, 2);
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, RevokeSessionOnlyForItsOwnerAndOnlyOnce) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  auto session = in_txn(store(), [&](WriteTxn& txn) {
    return txn.create_session(alice.id, "ta", "phone", 10, 1000);
  });
  ASSERT_TRUE(session.ok());
  auto by_bob = in_txn(store(), [&](WriteTxn& txn) { return txn.revoke_session(bob.id, session->id); });
  ASSERT_TRUE(by_bob.ok());
  EXPECT_FALSE(by_bob.value());
  EXPECT_FALSE((*store().find_session_by_token_hash("ta"))->revoked);

  auto by_alice =
      in_txn(store(), [&](WriteTxn& txn) { return txn.revoke_session(alice.id, session->id); });
  ASSERT_TRUE(by_alice.ok());
  EXPECT_TRUE(by_alice.value());
  EXPECT_TRUE((*store().find_session_by_token_hash("ta"))->revoked);
  EXPECT_TRUE(store().live_sessions(alice.id, 0)->empty());

  auto twice =
      in_txn(store(), [&](WriteTxn& txn) { return txn.revoke_session(alice.id, session->id); });
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice.value());
}

TEST_P(StoreConformance, RevokeOtherSessionsKeepsCurrent) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  std::vector<int64_t> sessions;
  for (const char* token : {"a1", "a2", "a3", "a4"}) {
    auto s = in_txn(store(), [&](WriteTxn& txn) {
      return txn.create_session(alice.id, token, "d", 10, 1000);
    });
    sessions.push_back(s->id);
  }
  auto bobs = in_txn(store(), [&](WriteTxn& txn) {
    return txn.create_session(bob.id, "b1", "d", 10, 1000);
  });
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) {
                return txn.revoke_session(alice.id, sessions[3]);
              }).value());

  auto revoked = in_txn(store(), [&](WriteTxn& txn) {
    return txn.revoke_other_sessions(alice.id, sessions[1]);
  });
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked.value(), (std::vector<int64_t>{sessions[0], sessions[2]}));

  auto live = store().live_sessions(alice.id, 0);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, sessions[1]);
  ASSERT_EQ(store().live_sessions(bob.id, 0)->size(), 1u);
  EXPECT_EQ((*store().live_sessions(bob.id, 0))[0].id, bobs->id);

  auto none = in_txn(store(), [&](WriteTxn& txn) {
    return txn.revoke_other_sessions(alice.id, sessions[1]);
  });
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreConformance, AccountsAreDisabledAndEnabledOnceAndCounted) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  EXPECT_FALSE(store().disabled_at(alice.id)->has_value());
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.account_disabled(alice.id); }).value());

  auto off = in_txn(store(), [&](WriteTxn& t) { return t.set_account_disabled(alice.id, true, 1234); });
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(*off);
  // Again: no change, and the first time stays.
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.set_account_disabled(alice.id, true, 9999); }).value());
  EXPECT_EQ(store().disabled_at(alice.id)->value_or(0), 1234);
  EXPECT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.account_disabled(alice.id); }).value());
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.account_disabled(bob.id); }).value());

  auto live = in_txn(store(), [&](WriteTxn& t) { return t.create_session(bob.id, "tb", "d", 10, 1000); });
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.create_session(bob.id, "tc", "d", 10, 20); }).ok());
  auto counts = store().counts(100);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->disabled_users, 1);
  EXPECT_EQ(counts->live_sessions, 1);  // the other one expired at 20
  EXPECT_EQ(counts->conversations, 0);
  EXPECT_EQ(counts->messages, 0);

  auto on = in_txn(store(), [&](WriteTxn& t) { return t.set_account_disabled(alice.id, false, 0); });
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(*on);
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.set_account_disabled(alice.id, false, 0); }).value());
  EXPECT_FALSE(store().disabled_at(alice.id)->has_value());

  auto unknown = in_txn(store(), [&](WriteTxn& t) { return t.set_account_disabled(alice.id + bob.id + 100, true, 1); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, DeletedAccountKeepsItsNameAndMessagesButLosesEverythingPersonal) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord d = direct(alice.id, bob.id);
  MessageRecord said = send(d.id, alice.id, "a1", 1000, "kept for bob");
  ConversationRecord g = group(carol.id);
  ASSERT_TRUE(add(g.id, alice.id, 0).ok());
  ConversationRecord left = group(carol.id, "Old");
  ASSERT_TRUE(add(left.id, alice.id, 0).ok());
  ASSERT_TRUE(remove(left.id, alice.id, 0).ok());
  ASSERT_TRUE(contact(alice.id, bob.id, "Bobby").ok());
  ASSERT_TRUE(contact(carol.id, alice.id, "Al").ok());
  ASSERT_TRUE(block(alice.id, carol.id).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_last_seen(alice.id, 777); }).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.create_session(alice.id, "ta", "Alice's phone", 10, 1000000); }).ok());
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.direct_peer_deleted(d.id, bob.id); }).value());
  MediaRecord unsent;
  unsent.id = std::string(32, 'a');
  unsent.owner_id = alice.id;
  unsent.source_sha256 = unsent.sha256 = std::string(64, 'b');
  unsent.thumb_sha256 = std::string(64, 'c');
  unsent.mime = unsent.thumb_mime = "image/webp";
  unsent.created_at = 4000;
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.insert_media(unsent); }).ok());
  const int64_t before = version();

  auto deleted = in_txn(store(), [&](WriteTxn& t) { return t.delete_account(alice.id, 5000); });
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_TRUE(deleted->changed);
  EXPECT_EQ(deleted->active_group_ids, std::vector<int64_t>{g.id});  // not the one she left
  EXPECT_EQ(deleted->direct_ids, std::vector<int64_t>{d.id});

  // The record stays, marked deleted, under the same (reserved) name; no password matches.
  auto found = store().find_user(alice.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->deleted());
  EXPECT_EQ((*found)->username, "alice");
  auto creds = store().find_credentials("alice");
  ASSERT_TRUE(creds.ok() && creds->has_value());
  EXPECT_EQ((*creds)->password_hash, "");
  auto again = in_txn(store(), [&](WriteTxn& t) { return t.create_user("alice", "Mallory", "h", 6000); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kUsernameTaken);
  // Gone from user search, contacts and blocks in both directions, and presence.
  EXPECT_TRUE(store().search_users("alice", 5)->empty());
  EXPECT_TRUE(contact_ids(alice.id).empty());
  EXPECT_TRUE(contact_ids(carol.id).empty());
  EXPECT_TRUE(store().blocked_users(alice.id)->empty());
  auto presence = store().presence({alice.id});
  ASSERT_TRUE(presence.ok());
  ASSERT_EQ(presence->size(), 1u);
  EXPECT_FALSE((*presence)[0].last_seen_at.has_value());
  // Her messages stay for bob; the direct conversation moved on so bob's devices sync it,
  // and nobody may message her any more; nobody may add her to a group.
  auto history = store().history(bob.id, {d.id, std::nullopt, std::nullopt, 50});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->items.size(), 1u);
  EXPECT_EQ(history->items[0].text, said.text);
  EXPECT_EQ(history->items[0].sender_id, alice.id);
  EXPECT_GT(seen_by(d.id, bob.id).version, before);
  EXPECT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.direct_peer_deleted(d.id, bob.id); }).value());
  auto refused = in_txn(store(), [&](WriteTxn& t) { return t.group_add_refusals(bob.id, {alice.id}); });
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(*refused, std::vector<int64_t>{alice.id});
  // Her upload that no message shows is due for the next media sweep, however recent.
  auto swept = in_txn(store(), [&](WriteTxn& t) { return t.delete_unreferenced_media(1, 10); });
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->size(), 2u);  // the image and its thumbnail

  // Once is enough: a second deletion changes nothing; an unknown user is not found.
  auto twice = in_txn(store(), [&](WriteTxn& t) { return t.delete_account(alice.id, 6000); });
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->changed);
  auto unknown = in_txn(store(), [&](WriteTxn& t) { return t.delete_account(carol.id + 100, 1); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  // Everyone else is untouched.
  EXPECT_FALSE(store().find_user(bob.id)->value().deleted());
  EXPECT_EQ(store().search_users("bob", 5)->size(), 1u);
}

TEST_P(StoreConformance, PasswordHashIsReplaced) {
  UserRecord alice = user("alice");
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) -> Result<bool> {
                if (Status st = t.set_password_hash(alice.id, "$argon2id$new"); !st) return st.error();
                return true;
              }).ok());
  auto creds = store().find_credentials("alice");
  ASSERT_TRUE(creds.ok() && creds->has_value());
  EXPECT_EQ((*creds)->password_hash, "$argon2id$new");
  auto unknown = in_txn(store(), [&](WriteTxn& t) -> Result<bool> {
    if (Status st = t.set_password_hash(alice.id + 100, "x"); !st) return st.error();
    return true;
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

// ---- conversations ----------------------------------------------------------------------

TEST_P(StoreConformance, NewDirectConversationIsEmptyWithBothMembersByUserId) {
  UserRecord bob = user("bob");
  UserRecord alice = user("alice");
  const int64_t before = version();
  auto outcome = in_txn(store(), [&](WriteTxn& txn) {
    return txn.get_or_create_direct(bob.id, alice.id, 777);
  });
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->created);
  const ConversationRecord& c = outcome->conversation;
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.kind, "direct");
  EXPECT_EQ(c.created_at, 777);
  EXPECT_EQ(c.last_activity, 777);
  EXPECT_EQ(c.last_seq, 0);
  EXPECT_FALSE(c.last_message.has_value());
  EXPECT_GT(c.version, before);
  EXPECT_EQ(version(), c.version);
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[0].user.id, bob.id);  // bob registered first: smaller id
  EXPECT_EQ(c.members[1].user.id, alice.id);
  EXPECT_EQ(c.members[1].user.username, "alice");
  EXPECT_EQ(c.members[0].joined_at, 777);
  EXPECT_EQ(c.members[0].delivered_seq, 0);
  EXPECT_EQ(c.members[0].read_seq, 0);
}

TEST_P(StoreConformance, DirectConversationIsUniquePerPairInEitherOrder) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord ab = direct(alice.id, bob.id);
  const int64_t v = version();

  auto reversed = in_txn(store(), [&](WriteTxn& txn) {
    return txn.get_or_create_direct(bob.id, alice.id, 999);
  });
  ASSERT_TRUE(reversed.ok());
  EXPECT_FALSE(reversed->created);
  EXPECT_EQ(reversed->conversation.id, ab.id);
  EXPECT_EQ(reversed->conversation.created_at, ab.created_at);
  EXPECT_EQ(version(), v);  // finding it is not a change

  // Both directions in one batch still make exactly one conversation.
  std::vector<DirectOutcome> outcomes;
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) {
                                      outcomes.push_back(t.get_or_create_direct(alice.id, carol.id, 5).value());
                                    },
                                    [&](WriteTxn& t) {
                                      outcomes.push_back(t.get_or_create_direct(carol.id, alice.id, 6).value());
                                    }})
                  .ok());
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].created);
  EXPECT_FALSE(outcomes[1].created);
  EXPECT_EQ(outcomes[0].conversation.id, outcomes[1].conversation.id);
  EXPECT_NE(outcomes[0].conversation.id, ab.id);
}

TEST_P(StoreConformance, DirectConversationWithUnknownUserIsNotFoundAndWritesNothing) {
  UserRecord alice = user("alice");
  const int64_t v = version();
  auto outcome = in_txn(store(), [&](WriteTxn& txn) {
    return txn.get_or_create_direct(alice.id, alice.id + 50, 1);
  });
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
  EXPECT_TRUE(store().list_conversations(alice.id, std::nullopt, 10)->items.empty());
}

// ---- messages ---------------------------------------------------------------------------

TEST_P(StoreConformance, AppendAssignsGapFreeSeqPerConversation) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord ab = direct(alice.id, bob.id);
  ConversationRecord ac = direct(alice.id, carol.id);
  std::vector<int64_t> ab_seqs;
  std::vector<int64_t> ac_seqs;
  for (int i = 0; i < 5; ++i) {
    ab_seqs.push_back(send(ab.id, i % 2 ? alice.id : bob.id, "ab" + std::to_string(i)).seq);
    ac_seqs.push_back(send(ac.id, carol.id, "ac" + std::to_string(i)).seq);
  }
  EXPECT_EQ(ab_seqs, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ac_seqs, (std::vector<int64_t>{1, 2, 3, 4, 5}));

  // Several appends in one batch continue the sequence.
  std::vector<int64_t> batch;
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) {
                                      batch.push_back(t.append_message({ab.id, alice.id, "x1", "text", "a", 1}).value().message.seq);
                                    },
                                    [&](WriteTxn& t) {
                                      batch.push_back(t.append_message({ab.id, bob.id, "x2", "text", "b", 2}).value().message.seq);
                                    }})
                  .ok());
  EXPECT_EQ(batch, (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(seen_by(ab.id, alice.id).last_seq, 7);
}

TEST_P(StoreConformance, AppendStoresTheMessageAndUpdatesTheConversation) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id, 200);
  auto outcome = append(c.id, alice.id, "c-1", 5000, "hi bob");
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->duplicate);
  const MessageRecord& m = outcome->message;
  EXPECT_GT(m.id, 0);
  EXPECT_EQ(m.conversation_id, c.id);
  EXPECT_EQ(m.seq, 1);
  EXPECT_EQ(m.sender_id, alice.id);
  EXPECT_EQ(m.client_id, "c-1");
  EXPECT_EQ(m.kind, "text");
  EXPECT_EQ(m.text, "hi bob");
  EXPECT_EQ(m.ts, 5000);
  EXPECT_GT(m.version, c.version);
  EXPECT_EQ(outcome->member_ids, (std::vector<int64_t>{alice.id, bob.id}));

  ConversationRecord now = seen_by(c.id, bob.id);
  EXPECT_EQ(now.last_seq, 1);
  EXPECT_EQ(now.last_activity, 5000);
  EXPECT_EQ(now.version, m.version);
  ASSERT_TRUE(now.last_message.has_value());
  EXPECT_EQ(now.last_message->id, m.id);
  EXPECT_EQ(now.last_message->text, "hi bob");
  EXPECT_EQ(version(), m.version);
}

TEST_P(StoreConformance, ResendingSameClientIdReturnsOriginalAndStoresNothing) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  MessageRecord original = send(c.id, alice.id, "same", 1000, "first");
  const int64_t v = version();

  auto again = append(c.id, alice.id, "same", 2000, "second");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, original.id);
  EXPECT_EQ(again->message.seq, original.seq);
  EXPECT_EQ(again->message.text, "first");
  EXPECT_EQ(again->message.ts, 1000);
  EXPECT_EQ(again->message.version, original.version);
  EXPECT_EQ(again->member_ids, (std::vector<int64_t>{alice.id, bob.id}));
  EXPECT_EQ(version(), v);
  EXPECT_EQ(seen_by(c.id, alice.id).last_seq, 1);
  EXPECT_EQ(store().history(alice.id, {c.id, std::nullopt, std::nullopt, 50})->items.size(), 1u);

  // The same client id from another sender is another message.
  auto other = append(c.id, bob.id, "same", 3000, "bob's");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(other->message.seq, 2);

  // A retry inside the same batch as the original is a duplicate too.
  std::vector<AppendOutcome> outcomes;
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) {
                                      outcomes.push_back(t.append_message({c.id, alice.id, "dup", "text", "a", 1}).value());
                                    },
                                    [&](WriteTxn& t) {
                                      outcomes.push_back(t.append_message({c.id, alice.id, "dup", "text", "b", 2}).value());
                                    }})
                  .ok());
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_TRUE(outcomes[1].duplicate);
  EXPECT_EQ(outcomes[1].message.id, outcomes[0].message.id);
  EXPECT_EQ(seen_by(c.id, alice.id).last_seq, 3);
}

TEST_P(StoreConformance, SenderWatermarksFollowOwnMessages) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  send(c.id, alice.id, "a1");
  send(c.id, bob.id, "b1");
  send(c.id, alice.id, "a2");
  ConversationRecord now = seen_by(c.id, alice.id);
  EXPECT_EQ(member(now, alice.id).delivered_seq, 3);
  EXPECT_EQ(member(now, alice.id).read_seq, 3);
  EXPECT_EQ(member(now, bob.id).delivered_seq, 2);
  EXPECT_EQ(member(now, bob.id).read_seq, 2);
}

TEST_P(StoreConformance, NonMemberCannotAppendOrReadHistory) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord eve = user("eve");
  ConversationRecord c = direct(alice.id, bob.id);
  send(c.id, alice.id, "a1");
  const int64_t v = version();

  auto appended = append(c.id, eve.id, "e1");
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().code, Errc::kNotFound);
  auto missing = append(c.id + 100, alice.id, "a-missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
  EXPECT_EQ(seen_by(c.id, alice.id).last_seq, 1);

  auto history = store().history(eve.id, {c.id, std::nullopt, std::nullopt, 50});
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.error().code, Errc::kNotFound);
  auto no_conversation = store().history(alice.id, {c.id + 100, std::nullopt, std::nullopt, 50});
  ASSERT_FALSE(no_conversation.ok());
  EXPECT_EQ(no_conversation.error().code, Errc::kNotFound);

  auto seen = store().conversation_for_member(c.id, eve.id);
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(seen->has_value());
  EXPECT_FALSE(store().conversation_for_member(c.id + 100, alice.id)->has_value());
  EXPECT_TRUE(store().list_conversations(eve.id, std::nullopt, 10)->items.empty());
  EXPECT_TRUE(store().changes_since(eve.id, 0, 10)->conversations.empty());
}

TEST_P(StoreConformance, HistoryPagesInDocumentedOrder) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  for (int i = 1; i <= 7; ++i) send(c.id, i % 2 ? alice.id : bob.id, "m" + std::to_string(i), i);

  auto newest = store().history(bob.id, {c.id, std::nullopt, std::nullopt, 3});
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(seqs(newest->items), (std::vector<int64_t>{7, 6, 5}));
  EXPECT_TRUE(newest->has_more);

  auto before = store().history(bob.id, {c.id, 5, std::nullopt, 3});
  EXPECT_EQ(seqs(before->items), (std::vector<int64_t>{4, 3, 2}));
  EXPECT_TRUE(before->has_more);
  auto before_end = store().history(bob.id, {c.id, 3, std::nullopt, 3});
  EXPECT_EQ(seqs(before_end->items), (std::vector<int64_t>{2, 1}));
  EXPECT_FALSE(before_end->has_more);
  auto exactly = store().history(bob.id, {c.id, 4, std::nullopt, 3});
  EXPECT_EQ(seqs(exactly->items), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_FALSE(exactly->has_more);

  auto after = store().history(bob.id, {c.id, std::nullopt, 2, 3});
  EXPECT_EQ(seqs(after->items), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_TRUE(after->has_more);
  auto after_end = store().history(bob.id, {c.id, std::nullopt, 4, 3});
  EXPECT_EQ(seqs(after_end->items), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_FALSE(after_end->has_more);
  auto caught_up = store().history(bob.id, {c.id, std::nullopt, 7, 3});
  EXPECT_TRUE(caught_up->items.empty());
  EXPECT_FALSE(caught_up->has_more);

  auto all = store().history(alice.id, {c.id, std::nullopt, std::nullopt, 200});
  ASSERT_EQ(all->items.size(), 7u);
  EXPECT_EQ(all->items[0].client_id, "m7");
  EXPECT_EQ(all->items[0].sender_id, alice.id);
  EXPECT_EQ(all->items[0].ts, 7);
  EXPECT_FALSE(all->has_more);

  auto empty_conversation = direct(alice.id, user("carol").id);
  auto none = store().history(alice.id, {empty_conversation.id, std::nullopt, std::nullopt, 10});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
  EXPECT_FALSE(none->has_more);
}

// ---- receipts ---------------------------------------------------------------------------

TEST_P(StoreConformance, ReceiptWatermarksOnlyMoveForward) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  for (int i = 0; i < 5; ++i) send(c.id, alice.id, "a" + std::to_string(i));

  auto first = receipt(c.id, bob.id, 4, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->delivered_seq, 4);
  EXPECT_EQ(first->read_seq, 2);
  EXPECT_EQ(first->conversation_id, c.id);
  EXPECT_EQ(first->user_id, bob.id);
  EXPECT_EQ(first->member_ids, (std::vector<int64_t>{alice.id, bob.id}));
  EXPECT_EQ(first->version, version());
  EXPECT_EQ(seen_by(c.id, alice.id).version, first->version);

  const int64_t v = version();
  auto back = receipt(c.id, bob.id, 3, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->changed);
  EXPECT_EQ(back->delivered_seq, 4);
  EXPECT_EQ(back->read_seq, 2);
  EXPECT_EQ(back->version, first->version);
  EXPECT_EQ(version(), v);

  auto same = receipt(c.id, bob.id, 4, 2);
  EXPECT_FALSE(same->changed);

  auto partly = receipt(c.id, bob.id, 1, 3);  // delivered goes nowhere, read moves
  ASSERT_TRUE(partly.ok());
  EXPECT_TRUE(partly->changed);
  EXPECT_EQ(partly->delivered_seq, 4);
  EXPECT_EQ(partly->read_seq, 3);
  EXPECT_GT(partly->version, v);

  ConversationRecord now = seen_by(c.id, bob.id);
  EXPECT_EQ(member(now, bob.id).delivered_seq, 4);
  EXPECT_EQ(member(now, bob.id).read_seq, 3);
}

TEST_P(StoreConformance, ReadImpliesDelivered) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  for (int i = 0; i < 4; ++i) send(c.id, alice.id, "a" + std::to_string(i));
  auto read = receipt(c.id, bob.id, 0, 3);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->read_seq, 3);
  EXPECT_EQ(read->delivered_seq, 3);
  ConversationRecord now = seen_by(c.id, bob.id);
  EXPECT_EQ(member(now, bob.id).delivered_seq, 3);
  EXPECT_EQ(member(now, bob.id).read_seq, 3);
}

TEST_P(StoreConformance, ReceiptBeyondLastSeqIsRejected) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  send(c.id, alice.id, "a1");
  send(c.id, alice.id, "a2");
  const int64_t v = version();
  for (auto [delivered, read] : {std::pair<int64_t, int64_t>{3, 0}, {0, 3}, {2, 3}}) {
    auto r = receipt(c.id, bob.id, delivered, read);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(version(), v);
  ConversationRecord now = seen_by(c.id, bob.id);
  EXPECT_EQ(member(now, bob.id).delivered_seq, 0);
  EXPECT_EQ(member(now, bob.id).read_seq, 0);
  EXPECT_TRUE(receipt(c.id, bob.id, 2, 2)->changed);  // exactly last_seq is fine
}

TEST_P(StoreConformance, ReceiptByNonMemberIsNotFound) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord eve = user("eve");
  ConversationRecord c = direct(alice.id, bob.id);
  send(c.id, alice.id, "a1");
  auto r = receipt(c.id, eve.id, 1, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  auto missing = receipt(c.id + 100, bob.id, 1, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

// ---- chat list and sync -----------------------------------------------------------------

TEST_P(StoreConformance, ChatListOrderedByLastActivity) {
  UserRecord me = user("me");
  std::vector<ConversationRecord> cs;
  for (int i = 0; i < 4; ++i) cs.push_back(direct(me.id, user("peer" + std::to_string(i)).id, 100));
  // Activity: cs[2]=5000, cs[0]=3000, cs[3]=3000 (tie: higher id first), cs[1]=100 (empty).
  send(cs[0].id, me.id, "x0", 3000);
  send(cs[2].id, me.id, "x2a", 1000);
  send(cs[3].id, cs[3].members[1].user.id, "x3", 3000);
  send(cs[2].id, me.id, "x2b", 5000);

  auto all = store().list_conversations(me.id, std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids(all->items), (std::vector<int64_t>{cs[2].id, cs[3].id, cs[0].id, cs[1].id}));
  EXPECT_FALSE(all->has_more);
  EXPECT_EQ(all->items[0].last_activity, 5000);
  ASSERT_TRUE(all->items[0].last_message.has_value());
  EXPECT_EQ(all->items[0].last_message->client_id, "x2b");
  EXPECT_EQ(all->items[0].members.size(), 2u);
  EXPECT_FALSE(all->items[3].last_message.has_value());
  EXPECT_EQ(all->items[3].last_activity, 100);

  auto first_page = store().list_conversations(me.id, std::nullopt, 1);
  EXPECT_EQ(ids(first_page->items), (std::vector<int64_t>{cs[2].id}));
  EXPECT_TRUE(first_page->has_more);
  auto next = store().list_conversations(me.id, ChatListCursor{5000, 0}, 2);
  EXPECT_EQ(ids(next->items), (std::vector<int64_t>{cs[3].id, cs[0].id}));
  EXPECT_TRUE(next->has_more);
  auto last = store().list_conversations(me.id, ChatListCursor{3000, 0}, 2);
  EXPECT_EQ(ids(last->items), (std::vector<int64_t>{cs[1].id}));
  EXPECT_FALSE(last->has_more);
  // A cursor inside a tie continues with the lower ids of the same activity.
  auto tie = store().list_conversations(me.id, ChatListCursor{3000, cs[3].id}, 1);
  EXPECT_EQ(ids(tie->items), (std::vector<int64_t>{cs[0].id}));
  EXPECT_TRUE(tie->has_more);

  // Only the user's conversations.
  auto peer = store().list_conversations(cs[0].members[1].user.id, std::nullopt, 10);
  EXPECT_EQ(ids(peer->items), (std::vector<int64_t>{cs[0].id}));
}

TEST_P(StoreConformance, ChangesSinceReturnsOnlyChangedConversations) {
  UserRecord me = user("me");
  UserRecord p1 = user("p1");
  UserRecord p2 = user("p2");
  UserRecord p3 = user("p3");
  ConversationRecord c1 = direct(me.id, p1.id);
  ConversationRecord c2 = direct(me.id, p2.id);
  ConversationRecord c3 = direct(me.id, p3.id);
  ConversationRecord other = direct(p1.id, p2.id);

  auto initial = store().changes_since(me.id, 0, 100);
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(ids(initial->conversations), (std::vector<int64_t>{c1.id, c2.id, c3.id}));
  EXPECT_FALSE(initial->has_more);
  EXPECT_EQ(initial->version, version());
  const int64_t cursor = initial->version;

  auto quiet = store().changes_since(me.id, cursor, 100);
  EXPECT_TRUE(quiet->conversations.empty());
  EXPECT_EQ(quiet->version, cursor);

  send(c3.id, p3.id, "hello");          // a message
  send(other.id, p1.id, "not mine");    // someone else's conversation
  send(c1.id, me.id, "mine");
  ASSERT_TRUE(receipt(c3.id, me.id, 1, 1)->changed);  // my own receipt
  auto changed = store().changes_since(me.id, cursor, 100);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(ids(changed->conversations), (std::vector<int64_t>{c1.id, c3.id}));  // by version
  EXPECT_LT(changed->conversations[0].version, changed->conversations[1].version);
  EXPECT_EQ(changed->version, version());
  ASSERT_TRUE(changed->conversations[1].last_message.has_value());
  EXPECT_EQ(changed->conversations[1].last_message->text, "hello");
  EXPECT_EQ(member(changed->conversations[1], me.id).read_seq, 1);

  // A peer's receipt is a change of my conversation too.
  const int64_t cursor2 = changed->version;
  ASSERT_TRUE(receipt(c1.id, p1.id, 1, 0)->changed);
  auto receipts = store().changes_since(me.id, cursor2, 100);
  EXPECT_EQ(ids(receipts->conversations), (std::vector<int64_t>{c1.id}));
  EXPECT_EQ(member(receipts->conversations[0], p1.id).delivered_seq, 1);
}

TEST_P(StoreConformance, ChangesSincePagesWithHasMore) {
  UserRecord me = user("me");
  std::vector<int64_t> expected;
  for (int i = 0; i < 5; ++i) {
    expected.push_back(direct(me.id, user("p" + std::to_string(i)).id).id);
  }
  std::vector<int64_t> got;
  int64_t since = 0;
  int pages = 0;
  for (;;) {
    auto page = store().changes_since(me.id, since, 2);
    ASSERT_TRUE(page.ok());
    ++pages;
    for (const auto& c : page->conversations) {
      EXPECT_GT(c.version, since);
      got.push_back(c.id);
    }
    EXPECT_GE(page->version, since);
    if (page->has_more) {
      EXPECT_EQ(page->conversations.size(), 2u);
      EXPECT_EQ(page->version, page->conversations.back().version);
    } else {
      EXPECT_EQ(page->version, version());
    }
    since = page->version;
    if (!page->has_more) break;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(pages, 3);
}

TEST_P(StoreConformance, VersionGrowsWithEveryChangeAndMessageVersionsGrowWithSeq) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  const int64_t v0 = version();
  ConversationRecord c = direct(alice.id, bob.id);
  EXPECT_GT(c.version, v0);
  int64_t last = c.version;
  for (int i = 0; i < 4; ++i) {
    MessageRecord m = send(c.id, i % 2 ? alice.id : bob.id, "m" + std::to_string(i));
    EXPECT_GT(m.version, last);
    last = m.version;
  }
  auto r = receipt(c.id, bob.id, 4, 4);
  EXPECT_GT(r->version, last);
  EXPECT_EQ(version(), r->version);
  auto history = store().history(alice.id, {c.id, std::nullopt, 0, 10});
  for (size_t i = 1; i < history->items.size(); ++i) {
    EXPECT_GT(history->items[i].version, history->items[i - 1].version);
  }
}

// ---- groups -----------------------------------------------------------------------------

TEST_P(StoreConformance, GroupCreatorIsAdminAndOnlyMember) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  const int64_t before = version();
  ConversationRecord g = group(alice.id, "Climbers", 555);
  EXPECT_GT(g.id, 0);
  EXPECT_EQ(g.kind, "group");
  EXPECT_EQ(g.name, "Climbers");
  EXPECT_EQ(g.description, "About Climbers");
  EXPECT_EQ(g.created_at, 555);
  EXPECT_EQ(g.last_activity, 555);
  EXPECT_EQ(g.last_seq, 0);
  EXPECT_FALSE(g.last_message.has_value());
  EXPECT_GT(g.version, before);
  EXPECT_EQ(version(), g.version);
  EXPECT_EQ(g.member_count, 1);
  EXPECT_EQ(g.min_delivered_seq, 0);
  EXPECT_EQ(g.min_read_seq, 0);
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].user.id, alice.id);
  EXPECT_EQ(g.members[0].role, "admin");
  EXPECT_EQ(g.members[0].joined_seq, 0);
  EXPECT_EQ(g.members[0].joined_at, 555);
  EXPECT_FALSE(g.members[0].left_seq.has_value());

  auto members = store().group_members(g.id, alice.id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(member_ids(*members), (std::vector<int64_t>{alice.id}));
  EXPECT_EQ(seen_by(g.id, alice.id).name, "Climbers");
  EXPECT_FALSE(store().conversation_for_member(g.id, bob.id)->has_value());
  EXPECT_EQ(ids(store().list_conversations(alice.id, std::nullopt, 10)->items),
            (std::vector<int64_t>{g.id}));

  // Any number of groups, even with the same name.
  ConversationRecord again = group(alice.id, "Climbers");
  EXPECT_NE(again.id, g.id);

  const int64_t v = version();
  auto unknown = in_txn(store(), [&](WriteTxn& txn) {
    return txn.create_group(alice.id + bob.id + 100, "Ghosts", "", 1);
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
}

TEST_P(StoreConformance, AddedMemberSeesHistoryOnlyAfterJoinSeq) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord g = group(alice.id);
  for (int i = 1; i <= 3; ++i) send(g.id, alice.id, "a" + std::to_string(i), i);

  const int64_t v = version();
  ASSERT_TRUE(add(g.id, bob.id, 3, 450).ok());
  EXPECT_GT(version(), v);
  // Before any message after the join, bob sees the group but no message in it.
  ConversationRecord fresh = seen_by(g.id, bob.id);
  EXPECT_EQ(fresh.version, version());
  EXPECT_FALSE(fresh.last_message.has_value());
  ASSERT_EQ(fresh.members.size(), 1u);
  EXPECT_EQ(fresh.members[0].user.id, bob.id);
  EXPECT_EQ(fresh.members[0].role, "member");
  EXPECT_EQ(fresh.members[0].joined_seq, 3);
  EXPECT_EQ(fresh.members[0].joined_at, 450);
  EXPECT_EQ(fresh.members[0].delivered_seq, 3);  // watermarks start at joined_seq
  EXPECT_EQ(fresh.members[0].read_seq, 3);
  EXPECT_EQ(fresh.member_count, 2);
  EXPECT_TRUE(visible_seqs(bob.id, g.id).empty());

  MessageRecord joined = system(g.id, alice.id, "s-join", "members_added", 4);
  EXPECT_EQ(joined.seq, 4);
  auto next = append(g.id, alice.id, "a5", 5);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->member_ids, (std::vector<int64_t>{alice.id, bob.id}));

  EXPECT_EQ(visible_seqs(bob.id, g.id), (std::vector<int64_t>{4, 5}));
  auto newest = store().history(bob.id, {g.id, std::nullopt, std::nullopt, 50});
  EXPECT_EQ(seqs(newest->items), (std::vector<int64_t>{5, 4}));
  EXPECT_FALSE(newest->has_more);
  auto older = store().history(bob.id, {g.id, 5, std::nullopt, 50});
  EXPECT_EQ(seqs(older->items), (std::vector<int64_t>{4}));
  EXPECT_FALSE(older->has_more);
  auto paged = store().history(bob.id, {g.id, std::nullopt, std::nullopt, 2});
  EXPECT_FALSE(paged->has_more);  // seq 3 and below are not bob's to page to
  auto after_old = store().history(bob.id, {g.id, std::nullopt, 1, 50});
  EXPECT_EQ(seqs(after_old->items), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(visible_seqs(alice.id, g.id), (std::vector<int64_t>{1, 2, 3, 4, 5}));

  ConversationRecord now = seen_by(g.id, bob.id);
  EXPECT_EQ(now.last_seq, 5);
  ASSERT_TRUE(now.last_message.has_value());
  EXPECT_EQ(now.last_message->client_id, "a5");
  EXPECT_EQ(now.last_seq - member(now, bob.id).read_seq, 2);  // unread: the join and a5
}

TEST_P(StoreConformance, RemovedMemberKeepsHistoryUpToRemovalAndNothingAfter) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  send(g.id, alice.id, "a1", 10);
  send(g.id, bob.id, "b2", 20);
  MessageRecord removal = system(g.id, alice.id, "s-rm", "member_removed", 30);
  ASSERT_TRUE(remove(g.id, bob.id, removal.seq).ok());
  auto after = append(g.id, alice.id, "a4", 40);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->member_ids, (std::vector<int64_t>{alice.id, carol.id}));
  send(g.id, carol.id, "c5", 50);

  EXPECT_EQ(visible_seqs(bob.id, g.id), (std::vector<int64_t>{1, 2, 3}));
  auto newest = store().history(bob.id, {g.id, std::nullopt, std::nullopt, 2});
  EXPECT_EQ(seqs(newest->items), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(newest->has_more);
  auto beyond = store().history(bob.id, {g.id, std::nullopt, 3, 50});
  EXPECT_TRUE(beyond->items.empty());
  EXPECT_EQ(visible_seqs(carol.id, g.id), (std::vector<int64_t>{1, 2, 3, 4, 5}));

  ConversationRecord bobs = seen_by(g.id, bob.id);
  EXPECT_EQ(bobs.last_seq, 3);
  EXPECT_EQ(bobs.last_activity, 30);
  ASSERT_TRUE(bobs.last_message.has_value());
  EXPECT_EQ(bobs.last_message->client_id, "s-rm");
  EXPECT_EQ(bobs.last_message->kind, "system");
  ASSERT_EQ(bobs.members.size(), 1u);
  EXPECT_EQ(bobs.members[0].left_seq, std::optional<int64_t>(3));
  EXPECT_LE(bobs.min_delivered_seq, 3);
  EXPECT_LE(bobs.min_read_seq, 3);

  ConversationRecord carols = seen_by(g.id, carol.id);
  EXPECT_EQ(carols.last_seq, 5);
  EXPECT_EQ(carols.last_activity, 50);
  EXPECT_EQ(carols.member_count, 2);
  EXPECT_FALSE(carols.members[0].left_seq.has_value());

  // In bob's chat list the group sits where its removal happened.
  ConversationRecord d = direct(bob.id, carol.id, 35);
  auto list = store().list_conversations(bob.id, std::nullopt, 10);
  EXPECT_EQ(ids(list->items), (std::vector<int64_t>{d.id, g.id}));
  EXPECT_EQ(list->items[1].last_seq, 3);
  auto older = store().list_conversations(bob.id, ChatListCursor{35, 0}, 10);
  EXPECT_EQ(ids(older->items), (std::vector<int64_t>{g.id}));
}

TEST_P(StoreConformance, RemovedMemberCannotSendOrMarkReceipts) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  send(g.id, alice.id, "a1");
  ASSERT_TRUE(remove(g.id, bob.id, 1).ok());
  send(g.id, alice.id, "a2");
  const int64_t v = version();

  auto sent = append(g.id, bob.id, "b-late");
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, Errc::kNotFound);
  auto marked = receipt(g.id, bob.id, 1, 1);
  ASSERT_FALSE(marked.ok());
  EXPECT_EQ(marked.error().code, Errc::kNotFound);
  auto members = store().group_members(g.id, bob.id);
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.error().code, Errc::kNotFound);
  auto role = in_txn(store(), [&](WriteTxn& txn) { return txn.set_role(g.id, bob.id, "admin"); });
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error().code, Errc::kNotFound);
  auto twice = remove(g.id, bob.id, 2);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, Errc::kNotFound);
  EXPECT_EQ(version(), v);
  EXPECT_EQ(seen_by(g.id, alice.id).last_seq, 2);

  // What bob may still do: read what he kept.
  EXPECT_EQ(visible_seqs(bob.id, g.id), (std::vector<int64_t>{1}));
  auto info = in_txn(store(), [&](WriteTxn& txn) { return txn.member(g.id, bob.id); });
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->left_seq, std::optional<int64_t>(1));
}

TEST_P(StoreConformance, LeftMemberSyncStopsAtRemoval) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  send(g.id, alice.id, "a1");
  const int64_t cursor = store().changes_since(bob.id, 0, 100)->version;

  MessageRecord left = system(g.id, bob.id, "s-left", "member_left");
  ASSERT_TRUE(remove(g.id, bob.id, left.seq).ok());
  const int64_t removal = version();

  // The removal is reported once, showing bob as gone...
  auto once = store().changes_since(bob.id, cursor, 100);
  ASSERT_TRUE(once.ok());
  ASSERT_EQ(ids(once->conversations), (std::vector<int64_t>{g.id}));
  const ConversationRecord& seen = once->conversations[0];
  EXPECT_EQ(seen.version, removal);
  EXPECT_EQ(seen.last_seq, left.seq);
  ASSERT_EQ(seen.members.size(), 1u);
  EXPECT_EQ(seen.members[0].left_seq, std::optional<int64_t>(left.seq));
  EXPECT_EQ(once->version, removal);

  // ...and nothing that happens in the group afterwards reaches bob.
  send(g.id, alice.id, "a3");
  ASSERT_TRUE(receipt(g.id, alice.id, 3, 3).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) {
                return txn.set_group_info(g.id, "Renamed", "new");
              }).ok());
  UserRecord carol = user("carol");
  ASSERT_TRUE(add(g.id, carol.id, 3).ok());
  auto quiet = store().changes_since(bob.id, once->version, 100);
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->conversations.empty());
  EXPECT_EQ(quiet->version, version());
  EXPECT_EQ(seen_by(g.id, bob.id).version, removal);
  EXPECT_EQ(seen_by(g.id, bob.id).last_seq, left.seq);

  // A full resync still lists it as he last saw it.
  auto full = store().changes_since(bob.id, 0, 100);
  ASSERT_EQ(ids(full->conversations), (std::vector<int64_t>{g.id}));
  EXPECT_EQ(full->conversations[0].version, removal);
  // While alice's view moved on.
  EXPECT_GT(seen_by(g.id, alice.id).version, removal);
}

TEST_P(StoreConformance, ReAddedMemberIsActiveAgain) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id, "Team", 100);
  ASSERT_TRUE(add(g.id, bob.id, 0, 110).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0, 120).ok());
  send(g.id, bob.id, "b1");
  ASSERT_TRUE(remove(g.id, bob.id, 1).ok());
  send(g.id, alice.id, "a2");
  const int64_t cursor = store().changes_since(bob.id, 0, 100)->version;

  ASSERT_TRUE(add(g.id, bob.id, 2, 900, "admin").ok());
  system(g.id, alice.id, "s-readd", "members_added");

  auto info = in_txn(store(), [&](WriteTxn& txn) { return txn.member(g.id, bob.id); });
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_FALSE((*info)->left_seq.has_value());
  EXPECT_EQ((*info)->role, "admin");
  EXPECT_EQ((*info)->joined_seq, 2);
  EXPECT_EQ((*info)->joined_at, 900);
  EXPECT_EQ((*info)->delivered_seq, 2);
  EXPECT_EQ((*info)->read_seq, 2);

  // History follows the new boundary; he may send and mark receipts again.
  EXPECT_EQ(visible_seqs(bob.id, g.id), (std::vector<int64_t>{3}));
  MessageRecord back = send(g.id, bob.id, "b4");
  EXPECT_EQ(back.seq, 4);
  EXPECT_TRUE(receipt(g.id, bob.id, 4, 4).ok());
  auto sync = store().changes_since(bob.id, cursor, 100);
  ASSERT_EQ(ids(sync->conversations), (std::vector<int64_t>{g.id}));
  EXPECT_EQ(sync->conversations[0].last_seq, 4);
  EXPECT_EQ(sync->conversations[0].version, version());
  EXPECT_EQ(seen_by(g.id, bob.id).member_count, 3);
  // He ranks as the newest member now.
  EXPECT_EQ(member_ids(*store().group_members(g.id, bob.id)),
            (std::vector<int64_t>{alice.id, carol.id, bob.id}));
}

TEST_P(StoreConformance, GroupMembersOrderedByLongestStanding) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  UserRecord erin = user("erin");
  ConversationRecord g = group(carol.id, "Team", 10);
  ASSERT_TRUE(add(g.id, erin.id, 0, 30).ok());
  ASSERT_TRUE(add(g.id, dave.id, 0, 20).ok());
  ASSERT_TRUE(add(g.id, bob.id, 0, 30).ok());   // ties on joined_at: by user id
  ASSERT_TRUE(add(g.id, alice.id, 0, 40).ok());
  const std::vector<int64_t> expected{carol.id, dave.id, bob.id, erin.id, alice.id};

  auto members = store().group_members(g.id, alice.id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(member_ids(*members), expected);
  EXPECT_EQ((*members)[0].role, "admin");
  EXPECT_EQ((*members)[1].role, "member");
  EXPECT_EQ((*members)[1].joined_at, 20);
  auto in_write = in_txn(store(), [&](WriteTxn& txn) { return txn.active_members(g.id); });
  ASSERT_TRUE(in_write.ok());
  EXPECT_EQ(member_ids(*in_write), expected);

  ASSERT_TRUE(remove(g.id, bob.id, 0).ok());
  EXPECT_EQ(member_ids(*store().group_members(g.id, carol.id)),
            (std::vector<int64_t>{carol.id, dave.id, erin.id, alice.id}));

  UserRecord stranger = user("stranger");
  auto outside = store().group_members(g.id, stranger.id);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, Errc::kNotFound);
  auto missing = store().group_members(g.id + 100, alice.id);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, GroupListEntryCarriesOnlyViewersMemberRecord) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id, "Team", 100);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  send(g.id, alice.id, "a1", 500);
  ConversationRecord d = direct(alice.id, bob.id, 200);

  auto list = store().list_conversations(bob.id, std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(ids(list->items), (std::vector<int64_t>{g.id, d.id}));
  const ConversationRecord& entry = list->items[0];
  ASSERT_EQ(entry.members.size(), 1u);
  EXPECT_EQ(entry.members[0].user.id, bob.id);
  EXPECT_EQ(entry.members[0].user.username, "bob");
  EXPECT_EQ(entry.member_count, 3);
  EXPECT_EQ(entry.name, "Team");
  EXPECT_EQ(entry.description, "About Team");

  auto sync = store().changes_since(carol.id, 0, 10);
  ASSERT_EQ(sync->conversations.size(), 1u);
  ASSERT_EQ(sync->conversations[0].members.size(), 1u);
  EXPECT_EQ(sync->conversations[0].members[0].user.id, carol.id);
  ConversationRecord alices = seen_by(g.id, alice.id);
  ASSERT_EQ(alices.members.size(), 1u);
  EXPECT_EQ(alices.members[0].role, "admin");

  // Direct conversations keep both members, with the neutral group fields.
  const ConversationRecord& pair = list->items[1];
  EXPECT_EQ(pair.kind, "direct");
  ASSERT_EQ(pair.members.size(), 2u);
  EXPECT_EQ(pair.member_count, 2);
  EXPECT_TRUE(pair.name.empty());
  EXPECT_TRUE(pair.description.empty());
  for (const MemberRecord& m : pair.members) {
    EXPECT_EQ(m.role, "member");
    EXPECT_EQ(m.joined_seq, 0);
    EXPECT_FALSE(m.left_seq.has_value());
  }
}

TEST_P(StoreConformance, MinWatermarksAggregateActiveMembers) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  for (int i = 1; i <= 4; ++i) send(g.id, alice.id, "a" + std::to_string(i));
  ASSERT_TRUE(receipt(g.id, bob.id, 4, 2).ok());
  ASSERT_TRUE(receipt(g.id, carol.id, 3, 1).ok());

  ConversationRecord seen = seen_by(g.id, alice.id);
  EXPECT_EQ(seen.min_delivered_seq, 3);
  EXPECT_EQ(seen.min_read_seq, 1);
  EXPECT_EQ(seen_by(g.id, bob.id).min_delivered_seq, 3);  // the same for every viewer

  // Whoever leaves stops holding the minimum down.
  ASSERT_TRUE(remove(g.id, carol.id, 4).ok());
  seen = seen_by(g.id, alice.id);
  EXPECT_EQ(seen.min_delivered_seq, 4);
  EXPECT_EQ(seen.min_read_seq, 2);
  EXPECT_EQ(seen.member_count, 2);

  // A newcomer's watermarks start at their join point, so they count from there.
  UserRecord dave = user("dave");
  ASSERT_TRUE(add(g.id, dave.id, 4).ok());
  send(g.id, alice.id, "a5");
  seen = seen_by(g.id, alice.id);
  EXPECT_EQ(seen.min_delivered_seq, 4);
  EXPECT_EQ(seen.min_read_seq, 2);
  ASSERT_TRUE(receipt(g.id, bob.id, 5, 5).ok());
  ASSERT_TRUE(receipt(g.id, dave.id, 5, 5).ok());
  seen = seen_by(g.id, alice.id);
  EXPECT_EQ(seen.min_delivered_seq, 5);
  EXPECT_EQ(seen.min_read_seq, 5);

  // Direct conversations aggregate the same way over both members.
  ConversationRecord d = direct(alice.id, bob.id);
  send(d.id, alice.id, "d1");
  send(d.id, alice.id, "d2");
  ASSERT_TRUE(receipt(d.id, bob.id, 2, 1).ok());
  ConversationRecord pair = seen_by(d.id, alice.id);
  EXPECT_EQ(pair.min_delivered_seq, 2);
  EXPECT_EQ(pair.min_read_seq, 1);
}

TEST_P(StoreConformance, MessageReceiptsGiveFirstDeliveryAndReadTimes) {
  using std::chrono::milliseconds;
  auto wall_ms = [] {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  for (int i = 1; i <= 3; ++i) send(g.id, alice.id, "a" + std::to_string(i));

  const int64_t t0 = wall_ms();
  ASSERT_TRUE(receipt(g.id, bob.id, 2, 0)->changed);
  const int64_t t1 = wall_ms();
  std::this_thread::sleep_for(milliseconds(5));
  const int64_t t2 = wall_ms();
  ASSERT_TRUE(receipt(g.id, bob.id, 3, 2)->changed);
  const int64_t t3 = wall_ms();

  auto info = store().message_receipts(g.id, 2, alice.id);
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->size(), 2u);  // the sender is not listed; in group_members order
  const MessageReceipt& b = (*info)[0];
  EXPECT_EQ(b.user.id, bob.id);
  EXPECT_EQ(b.user.username, "bob");
  ASSERT_TRUE(b.delivered_at.has_value());
  EXPECT_GE(*b.delivered_at, t0);  // the first receipt that reached seq 2, not the later one
  EXPECT_LE(*b.delivered_at, t1);
  ASSERT_TRUE(b.read_at.has_value());
  EXPECT_GE(*b.read_at, t2);
  EXPECT_LE(*b.read_at, t3);
  const MessageReceipt& c = (*info)[1];
  EXPECT_EQ(c.user.id, carol.id);
  EXPECT_FALSE(c.delivered_at.has_value());
  EXPECT_FALSE(c.read_at.has_value());

  auto third = store().message_receipts(g.id, 3, alice.id);
  ASSERT_TRUE(third.ok());
  EXPECT_GE(*(*third)[0].delivered_at, t2);
  EXPECT_FALSE((*third)[0].read_at.has_value());

  // Sending covers what the sender had not marked yet, at the message's time.
  const int64_t sent_at = t3 + 60000;
  send(g.id, carol.id, "c4", sent_at);
  auto by_send = store().message_receipts(g.id, 3, bob.id);
  ASSERT_TRUE(by_send.ok());
  ASSERT_EQ(by_send->size(), 2u);
  EXPECT_EQ((*by_send)[1].user.id, carol.id);
  EXPECT_EQ((*by_send)[1].delivered_at, std::optional<int64_t>(sent_at));
  EXPECT_EQ((*by_send)[1].read_at, std::optional<int64_t>(sent_at));

  // Someone who joined after a message was never one of its recipients.
  UserRecord dave = user("dave");
  ASSERT_TRUE(add(g.id, dave.id, 4).ok());
  EXPECT_EQ(store().message_receipts(g.id, 3, alice.id)->size(), 2u);
  MessageRecord five = send(g.id, alice.id, "a5");
  auto latest = store().message_receipts(g.id, five.seq, alice.id);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->size(), 3u);

  // Only messages the viewer can see.
  for (auto [seq, viewer] : {std::pair<int64_t, int64_t>{9, alice.id}, {3, dave.id},
                             {1, alice.id + bob.id + carol.id + dave.id + 10}}) {
    auto refused = store().message_receipts(g.id, seq, viewer);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kNotFound);
  }
}

TEST_P(StoreConformance, RemovedMemberSeesNoReceiptsMadeAfterRemoval) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  send(g.id, alice.id, "a1");
  MessageRecord removal = system(g.id, alice.id, "rm", "member_removed");
  ASSERT_TRUE(remove(g.id, bob.id, removal.seq).ok());
  ASSERT_TRUE(receipt(g.id, carol.id, removal.seq, removal.seq)->changed);

  EXPECT_EQ(seen_by(g.id, alice.id).min_read_seq, removal.seq);  // alice and carol read all
  const ConversationRecord bobs = seen_by(g.id, bob.id);
  EXPECT_EQ(bobs.min_read_seq, 0);
  EXPECT_EQ(bobs.min_delivered_seq, 0);
  auto listed = store().list_conversations(bob.id, std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].min_read_seq, 0);
  auto receipts = store().message_receipts(g.id, 1, bob.id);
  ASSERT_FALSE(receipts.ok());
  EXPECT_EQ(receipts.error().code, Errc::kNotFound);
  EXPECT_TRUE(store().message_receipts(g.id, 1, alice.id).ok());
}

TEST_P(StoreConformance, ReceiptsMadeBeforeARemovalSurviveTheReAdd) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  ASSERT_TRUE(add(g.id, dave.id, 0).ok());
  send(g.id, alice.id, "a1");
  send(g.id, alice.id, "a2");
  ASSERT_TRUE(receipt(g.id, bob.id, 2, 2)->changed);
  ASSERT_TRUE(receipt(g.id, carol.id, 2, 1)->changed);  // carol read a1, only received a2
  // dave never got either.
  MessageRecord out = system(g.id, alice.id, "rm", "member_removed");
  ASSERT_TRUE(remove(g.id, carol.id, out.seq).ok());
  MessageRecord out2 = system(g.id, alice.id, "rm", "member_removed");
  ASSERT_TRUE(remove(g.id, dave.id, out2.seq).ok());
  MessageRecord back = system(g.id, alice.id, "add", "member_added");
  ASSERT_TRUE(add(g.id, carol.id, back.seq).ok());
  ASSERT_TRUE(add(g.id, dave.id, back.seq).ok());
  // In the new membership carol reads everything: that must not count for a1/a2.
  MessageRecord later = send(g.id, alice.id, "a-later");
  ASSERT_TRUE(receipt(g.id, carol.id, later.seq, later.seq)->changed);
  ASSERT_TRUE(receipt(g.id, dave.id, later.seq, later.seq)->changed);
  ASSERT_TRUE(receipt(g.id, bob.id, later.seq, later.seq)->changed);

  auto first = store().message_receipts(g.id, 1, alice.id);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);  // bob and carol; dave never had it
  EXPECT_EQ((*first)[0].user.id, bob.id);
  EXPECT_TRUE((*first)[0].read_at.has_value());
  EXPECT_EQ((*first)[1].user.id, carol.id);
  EXPECT_TRUE((*first)[1].delivered_at.has_value());
  EXPECT_TRUE((*first)[1].read_at.has_value());  // what was read stays read

  auto second = store().message_receipts(g.id, 2, alice.id);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[1].user.id, carol.id);
  EXPECT_TRUE((*second)[1].delivered_at.has_value());
  EXPECT_FALSE((*second)[1].read_at.has_value());  // not the read of the new membership

  auto newest = store().message_receipts(g.id, later.seq, alice.id);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->size(), 3u);
  for (const MessageReceipt& r : *newest) EXPECT_TRUE(r.read_at.has_value()) << r.user.username;
}

TEST_P(StoreConformance, SystemMessagesTakeSeqsLikeAnyOther) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord g = group(alice.id);
  MessageRecord created = system(g.id, alice.id, "s1", "group_created", 10);
  EXPECT_EQ(created.seq, 1);
  EXPECT_EQ(created.kind, "system");
  ASSERT_TRUE(add(g.id, bob.id, 1).ok());
  MessageRecord added = system(g.id, alice.id, "s2", "members_added", 20);
  EXPECT_EQ(added.seq, 2);
  EXPECT_GT(added.version, created.version);
  MessageRecord text = send(g.id, bob.id, "b3", 30);
  EXPECT_EQ(text.seq, 3);

  auto all = store().history(alice.id, {g.id, std::nullopt, 0, 50});
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[1].kind, "system");
  EXPECT_EQ(all->items[1].text, "{\"event\":\"members_added\"}");
  EXPECT_EQ(all->items[2].kind, "text");

  // Idempotent like any message.
  auto retry = in_txn(store(), [&](WriteTxn& txn) {
    return txn.append_message({g.id, alice.id, "s2", "system", "{}", 99});
  });
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->message.seq, 2);

  MessageRecord last = system(g.id, alice.id, "s4", "group_updated", 40);
  ConversationRecord seen = seen_by(g.id, bob.id);
  EXPECT_EQ(seen.last_seq, 4);
  ASSERT_TRUE(seen.last_message.has_value());
  EXPECT_EQ(seen.last_message->id, last.id);
  EXPECT_EQ(seen.last_activity, 40);
  EXPECT_EQ(member(seen_by(g.id, alice.id), alice.id).read_seq, 4);  // its sender's watermarks
}

TEST_P(StoreConformance, GroupChangesBumpVersionAndShowInViews) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  int64_t last = version();
  auto bumped = [&] {
    const int64_t now = version();
    const bool grew = now > last;
    last = now;
    return grew && seen_by(g.id, bob.id).version == now;
  };

  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) {
                return txn.set_group_info(g.id, "New name", "New about");
              }).ok());
  EXPECT_TRUE(bumped());
  EXPECT_EQ(seen_by(g.id, bob.id).name, "New name");
  EXPECT_EQ(seen_by(g.id, bob.id).description, "New about");

  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) { return txn.set_role(g.id, bob.id, "admin"); }).ok());
  EXPECT_TRUE(bumped());
  EXPECT_EQ(seen_by(g.id, bob.id).members[0].role, "admin");
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) { return txn.set_role(g.id, alice.id, "member"); }).ok());
  EXPECT_TRUE(bumped());
  EXPECT_EQ(seen_by(g.id, alice.id).members[0].role, "member");

  UserRecord carol = user("carol");
  last = version();
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  EXPECT_TRUE(bumped());
  ASSERT_TRUE(remove(g.id, carol.id, 0).ok());
  EXPECT_TRUE(bumped());

  // Everything in one batch too: the domain's create-with-members flow.
  std::optional<ConversationRecord> created;
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) {
                                      auto made = t.create_group(alice.id, "Batch", "", 7).value();
                                      ASSERT_TRUE(t.add_member(made.id, bob.id, "member", 0, 7).ok());
                                      ASSERT_TRUE(t.append_message({made.id, alice.id, "sb", "system", "{}", 8}).ok());
                                      created = t.conversation(made.id, bob.id).value();
                                    }})
                  .ok());
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->last_seq, 1);
  EXPECT_EQ(created->member_count, 2);
  EXPECT_EQ(created->members[0].user.id, bob.id);
  EXPECT_EQ(created->version, version());
}

TEST_P(StoreConformance, FailedGroupPrimitiveWritesNothing) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  const int64_t nobody = alice.id + bob.id + carol.id + 100;
  ConversationRecord g = group(alice.id, "Team");
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  send(g.id, alice.id, "a1");
  ConversationRecord d = direct(alice.id, bob.id);
  const int64_t v = version();
  const ConversationRecord before = seen_by(g.id, alice.id);

  std::vector<Errc> errors;
  auto code = [&](const Status& status) {
    errors.push_back(status.ok() ? Errc::kInternal : status.error().code);
    EXPECT_FALSE(status.ok());
  };
  Status status = write_batch(
      store(),
      {[&](WriteTxn& t) { code(t.add_member(g.id, nobody, "member", 0, 1)); },
       [&](WriteTxn& t) { code(t.add_member(g.id + 100, carol.id, "member", 0, 1)); },
       [&](WriteTxn& t) { code(t.add_member(d.id, carol.id, "member", 0, 1)); },
       [&](WriteTxn& t) { code(t.add_member(g.id, bob.id, "member", 0, 1)); },  // already in
       [&](WriteTxn& t) { code(t.add_member(g.id, carol.id, "owner", 0, 1)); },
       [&](WriteTxn& t) { code(t.add_member(g.id, carol.id, "member", 2, 1)); },  // past last_seq
       [&](WriteTxn& t) { code(t.set_role(g.id, carol.id, "admin")); },
       [&](WriteTxn& t) { code(t.set_role(g.id, bob.id, "owner")); },
       [&](WriteTxn& t) { code(t.set_role(d.id, bob.id, "admin")); },
       [&](WriteTxn& t) { code(t.remove_member(g.id, carol.id, 1)); },
       [&](WriteTxn& t) { code(t.remove_member(g.id, bob.id, 2)); },  // past last_seq
       [&](WriteTxn& t) { code(t.remove_member(d.id, bob.id, 0)); },
       [&](WriteTxn& t) { code(t.set_group_info(g.id + 100, "x", "y")); },
       [&](WriteTxn& t) { code(t.set_group_info(d.id, "x", "y")); }});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::kNotFound, Errc::kNotFound, Errc::kNotFound,
                                       Errc::kInvalidArgument, Errc::kInvalidArgument,
                                       Errc::kInvalidArgument, Errc::kNotFound,
                                       Errc::kInvalidArgument, Errc::kNotFound, Errc::kNotFound,
                                       Errc::kInvalidArgument, Errc::kNotFound, Errc::kNotFound,
                                       Errc::kNotFound}));
  EXPECT_EQ(version(), v);
  const ConversationRecord after = seen_by(g.id, alice.id);
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(after.name, "Team");
  EXPECT_EQ(after.member_count, 2);
  EXPECT_EQ(member_ids(*store().group_members(g.id, alice.id)),
            (std::vector<int64_t>{alice.id, bob.id}));
  EXPECT_FALSE(store().conversation_for_member(g.id, carol.id)->has_value());
  EXPECT_EQ(seen_by(d.id, alice.id).members.size(), 2u);
  EXPECT_TRUE(d.name.empty());

  // A failed primitive does not spoil the ops after it in the same batch.
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) { code(t.add_member(g.id, nobody, "member", 0, 1)); },
                                    [&](WriteTxn& t) { ASSERT_TRUE(t.add_member(g.id, carol.id, "member", 1, 1).ok()); }})
                  .ok());
  EXPECT_EQ(seen_by(g.id, carol.id).member_count, 3);
}

// ---- contacts, blocking, presence --------------------------------------------------------

TEST_P(StoreConformance, ContactsAddRenameRemoveAndListOrderedByName) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");      // shown as "Display bob" unless nicknamed
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  const int64_t v = version();

  auto added = contact(alice.id, bob.id, "Zed", 500);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->user.id, bob.id);
  EXPECT_EQ(added->user.username, "bob");
  EXPECT_EQ(added->user.display_name, "Display bob");
  EXPECT_EQ(added->nickname, "Zed");
  EXPECT_EQ(added->created_at, 500);
  ASSERT_TRUE(contact(alice.id, carol.id, "", 600).ok());
  ASSERT_TRUE(contact(alice.id, dave.id, "alpha", 700).ok());

  // Nickname if any, else display name, ignoring case: alpha < Display carol < Zed.
  EXPECT_EQ(contact_ids(alice.id), (std::vector<int64_t>{dave.id, carol.id, bob.id}));
  auto listed = store().contacts(alice.id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].nickname, "alpha");
  EXPECT_EQ((*listed)[0].created_at, 700);
  EXPECT_EQ((*listed)[1].nickname, "");
  EXPECT_EQ((*listed)[1].user.display_name, "Display carol");
  // Contacts are one-way.
  EXPECT_TRUE(contact_ids(bob.id).empty());

  // Renaming keeps the entry (and when it was added) and moves it in the order.
  auto renamed = contact(alice.id, bob.id, "bobby", 900);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->nickname, "bobby");
  EXPECT_EQ(renamed->created_at, 500);
  EXPECT_EQ(contact_ids(alice.id), (std::vector<int64_t>{dave.id, bob.id, carol.id}));
  ASSERT_TRUE(contact(alice.id, dave.id, "", 950).ok());  // clears the nickname
  EXPECT_EQ(contact_ids(alice.id), (std::vector<int64_t>{bob.id, carol.id, dave.id}));
  EXPECT_EQ(store().contacts(alice.id)->back().nickname, "");

  auto removed = in_txn(store(), [&](WriteTxn& t) { return t.remove_contact(alice.id, carol.id); });
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  auto again = in_txn(store(), [&](WriteTxn& t) { return t.remove_contact(alice.id, carol.id); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(contact_ids(alice.id), (std::vector<int64_t>{bob.id, dave.id}));

  // Contacts are not conversation changes: sync does not see them.
  EXPECT_EQ(version(), v);
}

TEST_P(StoreConformance, ContactWithUnknownUserOrSelfIsRejected) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  const int64_t nobody = alice.id + bob.id + 100;
  const int64_t v = version();
  std::vector<Errc> errors;
  auto code = [&](const Result<ContactRecord>& r) {
    errors.push_back(r.ok() ? Errc::kInternal : r.error().code);
  };
  std::optional<bool> removed;
  Status status = write_batch(
      store(), {[&](WriteTxn& t) { code(t.upsert_contact(alice.id, nobody, "x", 1)); },
                [&](WriteTxn& t) { code(t.upsert_contact(alice.id, alice.id, "me", 1)); },
                [&](WriteTxn& t) { code(t.upsert_contact(nobody, bob.id, "x", 1)); },
                [&](WriteTxn& t) { removed = t.remove_contact(alice.id, bob.id).value(); }});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::kNotFound, Errc::kInvalidArgument, Errc::kNotFound}));
  EXPECT_EQ(removed, std::optional<bool>(false));
  EXPECT_TRUE(contact_ids(alice.id).empty());
  EXPECT_TRUE(contact_ids(nobody).empty());
  EXPECT_EQ(version(), v);
}

TEST_P(StoreConformance, SearchFindsUsernamePrefixesInOrderWithLimit) {
  for (const char* name : {"alicia", "bob", "al", "alice", "alex", "ali", "a_b", "alz"}) {
    user(name);
  }
  using Names = std::vector<std::string>;
  EXPECT_EQ(usernames(store().search_users("ali", 10)), (Names{"ali", "alice", "alicia"}));
  EXPECT_EQ(usernames(store().search_users("al", 50)),
            (Names{"al", "alex", "ali", "alice", "alicia", "alz"}));
  EXPECT_EQ(usernames(store().search_users("al", 2)), (Names{"al", "alex"}));
  EXPECT_EQ(usernames(store().search_users("alicia", 5)), (Names{"alicia"}));
  EXPECT_EQ(usernames(store().search_users("alicias", 5)), Names{});
  EXPECT_EQ(usernames(store().search_users("zz", 5)), Names{});
  // No pattern characters: '_' is just an underscore.
  EXPECT_EQ(usernames(store().search_users("a_", 5)), (Names{"a_b"}));
  EXPECT_EQ(usernames(store().search_users("", 3)), (Names{"a_b", "al", "alex"}));
  auto found = store().search_users("bo", 1);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].display_name, "Display bob");
  EXPECT_GT((*found)[0].id, 0);

  for (int bad : {0, -1, 51}) {
    auto rejected = store().search_users("al", bad);
    ASSERT_FALSE(rejected.ok()) << bad;
    EXPECT_EQ(rejected.error().code, Errc::kInvalidArgument);
  }
}

TEST_P(StoreConformance, BlockAndUnblockAreIdempotentAndListed) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  const int64_t nobody = alice.id + bob.id + carol.id + 100;
  const int64_t v = version();

  EXPECT_EQ(block(alice.id, bob.id, true, 500).value(), true);
  EXPECT_EQ(block(alice.id, carol.id, true, 700).value(), true);
  EXPECT_EQ(block(alice.id, bob.id, true, 800).value(), false);  // already: keeps its time
  EXPECT_EQ(usernames(store().blocked_users(alice.id)), (std::vector<std::string>{"carol", "bob"}));
  EXPECT_TRUE(store().is_blocked(alice.id, bob.id).value());
  EXPECT_FALSE(store().is_blocked(bob.id, alice.id).value());
  EXPECT_TRUE(usernames(store().blocked_users(bob.id)).empty());

  EXPECT_EQ(block(alice.id, bob.id, false).value(), true);
  EXPECT_EQ(block(alice.id, bob.id, false).value(), false);
  EXPECT_FALSE(store().is_blocked(alice.id, bob.id).value());
  EXPECT_EQ(usernames(store().blocked_users(alice.id)), (std::vector<std::string>{"carol"}));

  // Blocking again after an unblock is a new block, newest again.
  EXPECT_EQ(block(alice.id, bob.id, true, 900).value(), true);
  EXPECT_EQ(usernames(store().blocked_users(alice.id)), (std::vector<std::string>{"bob", "carol"}));

  std::vector<Errc> errors;
  auto code = [&](const Result<bool>& r) { errors.push_back(r.ok() ? Errc::kInternal : r.error().code); };
  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) { code(t.set_block(alice.id, alice.id, true, 1)); },
                                    [&](WriteTxn& t) { code(t.set_block(alice.id, nobody, true, 1)); },
                                    [&](WriteTxn& t) { code(t.set_block(nobody, alice.id, true, 1)); },
                                    [&](WriteTxn& t) { code(t.set_block(alice.id, nobody, false, 1)); }})
                  .ok());
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::kInvalidArgument, Errc::kNotFound, Errc::kNotFound,
                                       Errc::kNotFound}));
  EXPECT_FALSE(store().is_blocked(alice.id, nobody).value());
  EXPECT_EQ(store().blocked_users(alice.id)->size(), 2u);
  EXPECT_EQ(version(), v);
}

TEST_P(StoreConformance, BlockedInDirectOnlyForTheBlockedSenderAndNotInGroups) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord d = direct(alice.id, bob.id);
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  EXPECT_FALSE(blocked_in(d.id, alice.id));

  ASSERT_TRUE(block(bob.id, alice.id).ok());
  EXPECT_TRUE(blocked_in(d.id, alice.id));   // bob blocked alice: she may not message him
  EXPECT_FALSE(blocked_in(d.id, bob.id));    // he may still message her
  EXPECT_FALSE(blocked_in(g.id, alice.id));  // groups are not affected
  EXPECT_FALSE(blocked_in(d.id, carol.id));  // not a member: no "other member"
  EXPECT_FALSE(blocked_in(d.id + g.id + 100, alice.id));

  ASSERT_TRUE(block(alice.id, bob.id).ok());
  EXPECT_TRUE(blocked_in(d.id, bob.id));
  ASSERT_TRUE(block(bob.id, alice.id, false).ok());
  EXPECT_FALSE(blocked_in(d.id, alice.id));
  EXPECT_TRUE(blocked_in(d.id, bob.id));

  // A block elsewhere does not leak into this conversation.
  ASSERT_TRUE(block(carol.id, alice.id).ok());
  EXPECT_FALSE(blocked_in(d.id, alice.id));
}

TEST_P(StoreConformance, PresenceAudienceNeedsSharedActiveConversationOrMutualContact) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");      // direct conversation with alice
  UserRecord carol = user("carol");  // in a group with alice
  UserRecord dave = user("dave");    // has alice as a contact, and alice has dave
  UserRecord erin = user("erin");    // alice has erin as a contact, not the other way
  UserRecord frank = user("frank");  // nothing in common
  UserRecord gina = user("gina");    // has alice as a contact, not the other way
  const int64_t nobody = gina.id + 100;
  direct(alice.id, bob.id);
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  ASSERT_TRUE(contact(dave.id, alice.id).ok());
  ASSERT_TRUE(contact(alice.id, dave.id).ok());
  ASSERT_TRUE(contact(alice.id, erin.id).ok());
  ASSERT_TRUE(contact(gina.id, alice.id).ok());

  const std::vector<int64_t> everyone{alice.id, bob.id, carol.id, dave.id, erin.id, frank.id, gina.id, nobody};
  EXPECT_EQ(audience(alice.id, everyone), (std::vector<int64_t>{bob.id, carol.id, dave.id}));
  // A mutual contact counts; a one-sided one, in either direction, does not.
  EXPECT_EQ(audience(dave.id, everyone), (std::vector<int64_t>{alice.id}));
  EXPECT_TRUE(audience(erin.id, everyone).empty());
  EXPECT_TRUE(audience(gina.id, everyone).empty());
  // Sharing a conversation with alice is not sharing one with each other.
  EXPECT_EQ(audience(bob.id, everyone), (std::vector<int64_t>{alice.id}));
  EXPECT_TRUE(audience(frank.id, everyone).empty());
  // Duplicates count once; the viewer alone, or no one, gives no one.
  EXPECT_EQ(audience(alice.id, {bob.id, bob.id, frank.id}), (std::vector<int64_t>{bob.id}));
  EXPECT_TRUE(audience(alice.id, {alice.id}).empty());
  EXPECT_TRUE(audience(alice.id, {}).empty());
}

TEST_P(StoreConformance, PresenceAudienceExcludesBlocksInEitherDirection) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  ASSERT_TRUE(contact(alice.id, dave.id).ok());
  ASSERT_TRUE(contact(dave.id, alice.id).ok());  // mutual
  const std::vector<int64_t> everyone{alice.id, bob.id, carol.id, dave.id};
  EXPECT_EQ(audience(alice.id, everyone), (std::vector<int64_t>{bob.id, carol.id, dave.id}));

  ASSERT_TRUE(block(alice.id, bob.id).ok());   // alice blocked bob
  ASSERT_TRUE(block(dave.id, alice.id).ok());  // dave (her contact) blocked alice
  EXPECT_EQ(audience(alice.id, everyone), (std::vector<int64_t>{carol.id}));
  EXPECT_EQ(audience(bob.id, everyone), (std::vector<int64_t>{carol.id}));
  EXPECT_TRUE(audience(dave.id, everyone).empty());
  EXPECT_EQ(audience(carol.id, everyone), (std::vector<int64_t>{alice.id, bob.id}));

  ASSERT_TRUE(block(alice.id, bob.id, false).ok());
  EXPECT_EQ(audience(bob.id, everyone), (std::vector<int64_t>{alice.id, carol.id}));
}

TEST_P(StoreConformance, RemovedGroupMemberLeavesPresenceAudience) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  ConversationRecord g = group(alice.id);
  ASSERT_TRUE(add(g.id, bob.id, 0).ok());
  ASSERT_TRUE(add(g.id, carol.id, 0).ok());
  send(g.id, alice.id, "a1");
  EXPECT_EQ(audience(alice.id, {bob.id, carol.id}), (std::vector<int64_t>{bob.id, carol.id}));

  ASSERT_TRUE(remove(g.id, bob.id, 1).ok());
  // Bob keeps the group's history but is no longer an active member: neither sees the other.
  EXPECT_EQ(audience(alice.id, {bob.id, carol.id}), (std::vector<int64_t>{carol.id}));
  EXPECT_TRUE(audience(bob.id, {alice.id, carol.id}).empty());

  // Another shared conversation still counts; so does coming back.
  ConversationRecord other = group(carol.id, "Other");
  ASSERT_TRUE(add(other.id, bob.id, 0).ok());
  EXPECT_EQ(audience(bob.id, {alice.id, carol.id}), (std::vector<int64_t>{carol.id}));
  ASSERT_TRUE(add(g.id, bob.id, 1).ok());
  EXPECT_EQ(audience(bob.id, {alice.id, carol.id}), (std::vector<int64_t>{alice.id, carol.id}));
}

TEST_P(StoreConformance, BlockRelationsAreSymmetric) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  ASSERT_TRUE(block(alice.id, bob.id).ok());    // alice blocked bob
  ASSERT_TRUE(block(carol.id, alice.id).ok());  // carol blocked alice
  const std::vector<int64_t> everyone{alice.id, bob.id, carol.id, dave.id};
  EXPECT_EQ(sorted(store().block_relations(alice.id, everyone)),
            (std::vector<int64_t>{bob.id, carol.id}));
  EXPECT_EQ(sorted(store().block_relations(bob.id, everyone)), (std::vector<int64_t>{alice.id}));
  EXPECT_EQ(sorted(store().block_relations(carol.id, everyone)), (std::vector<int64_t>{alice.id}));
  EXPECT_TRUE(sorted(store().block_relations(dave.id, everyone)).empty());
  EXPECT_EQ(sorted(store().block_relations(alice.id, {bob.id, bob.id})),
            (std::vector<int64_t>{bob.id}));
  EXPECT_TRUE(sorted(store().block_relations(alice.id, {})).empty());
}

TEST_P(StoreConformance, GroupAddRefusalsFollowBlocksAndPrivacy) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  UserRecord dave = user("dave");
  UserRecord erin = user("erin");
  const int64_t nobody = erin.id + 100;
  auto refusals = [&](int64_t actor, std::vector<int64_t> candidates) {
    return in_txn(store(), [&](WriteTxn& t) { return t.group_add_refusals(actor, candidates); });
  };
  auto settings = [&](int64_t id) {
    auto s = store().privacy_settings(id);
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : PrivacySettings{};
  };
  EXPECT_EQ(settings(bob.id).groups_add, "everyone");
  EXPECT_FALSE(settings(bob.id).hide_last_seen);
  EXPECT_FALSE(store().privacy_settings(nobody)->has_value());
  EXPECT_EQ(sorted(refusals(alice.id, {bob.id, carol.id, dave.id, nobody, alice.id})),
            (std::vector<int64_t>{}));

  ASSERT_TRUE(block(bob.id, alice.id).ok());    // bob blocked alice
  ASSERT_TRUE(block(alice.id, erin.id).ok());   // alice blocked erin
  auto set = [&](int64_t id, std::string_view who) {
    return in_txn(store(), [&](WriteTxn& t) { return t.set_groups_add(id, who); });
  };
  ASSERT_TRUE(set(carol.id, "nobody").ok());
  ASSERT_TRUE(set(dave.id, "contacts").ok());
  EXPECT_EQ(set(dave.id, "friends").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(set(nobody, "nobody").error().code, Errc::kNotFound);
  EXPECT_EQ(settings(dave.id).groups_add, "contacts");
  EXPECT_EQ(refusals(alice.id, {bob.id, carol.id, dave.id, erin.id, nobody}).value(),
            (std::vector<int64_t>{bob.id, carol.id, dave.id, erin.id}));
  // "contacts" is dave's address book, not alice's.
  ASSERT_TRUE(contact(alice.id, dave.id).ok());
  EXPECT_EQ(refusals(alice.id, {dave.id}).value(), (std::vector<int64_t>{dave.id}));
  ASSERT_TRUE(contact(dave.id, alice.id).ok());
  EXPECT_EQ(refusals(alice.id, {dave.id}).value(), (std::vector<int64_t>{}));
  EXPECT_EQ(refusals(bob.id, {dave.id}).value(), (std::vector<int64_t>{dave.id}));
  auto both = in_txn(store(), [&](WriteTxn& t) { return t.privacy(dave.id); });
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->groups_add, "contacts");
}

TEST_P(StoreConformance, LastSeenAndHideFlagAreStoredAndRead) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  const int64_t nobody = alice.id + bob.id + 100;
  const int64_t v = version();
  auto presence_of = [&](int64_t user_id) -> std::optional<PresenceRecord> {
    auto records = store().presence({alice.id, bob.id, nobody});
    EXPECT_TRUE(records.ok());
    if (!records.ok()) return std::nullopt;
    EXPECT_EQ(records->size(), 2u);  // unknown ids are left out
    for (const PresenceRecord& r : *records) {
      if (r.user_id == user_id) return r;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(presence_of(alice.id).has_value());
  EXPECT_FALSE(presence_of(alice.id)->last_seen_at.has_value());
  EXPECT_FALSE(presence_of(alice.id)->hide_last_seen);
  EXPECT_FALSE(presence_of(nobody).has_value());

  ASSERT_TRUE(write_batch(store(), {[&](WriteTxn& t) { ASSERT_TRUE(t.set_last_seen(alice.id, 5000).ok()); },
                                    [&](WriteTxn& t) { ASSERT_TRUE(t.set_hide_last_seen(bob.id, true).ok()); }})
                  .ok());
  EXPECT_EQ(presence_of(alice.id)->last_seen_at, std::optional<int64_t>(5000));
  EXPECT_FALSE(presence_of(alice.id)->hide_last_seen);
  EXPECT_FALSE(presence_of(bob.id)->last_seen_at.has_value());
  EXPECT_TRUE(presence_of(bob.id)->hide_last_seen);

  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_last_seen(alice.id, 6000); }).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_hide_last_seen(bob.id, false); }).ok());
  EXPECT_EQ(presence_of(alice.id)->last_seen_at, std::optional<int64_t>(6000));
  EXPECT_FALSE(presence_of(bob.id)->hide_last_seen);
  EXPECT_TRUE(store().presence({})->empty());
  // Presence is not a conversation change either.
  EXPECT_EQ(version(), v);
}

// ---- batches ----------------------------------------------------------------------------

// ---- edits, deletions, hides, changes, search -------------------------------------------

TEST_P(StoreConformance, EditReplacesTextKeepsPlaceAndIsANewChange) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  auto m = send(c.id, a.id, "m1", 1000, "see you at five");
  send(c.id, a.id, "m2", 1001, "second");
  const int64_t before = version();
  auto edited = in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 1, "see you at six", 5000); });
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_TRUE(edited->changed);
  EXPECT_EQ(edited->message.seq, 1);
  EXPECT_EQ(edited->message.id, m.id);
  EXPECT_EQ(edited->message.text, "see you at six");
  EXPECT_EQ(edited->message.edited_at, 5000);
  EXPECT_GT(edited->message.version, before);
  EXPECT_EQ(edited->member_ids, (std::vector<int64_t>{a.id, b.id}));
  EXPECT_EQ(seen_by(c.id, b.id).version, edited->message.version) << "the conversation changed";

  // The same text again: nothing written.
  auto again = in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 1, "see you at six", 6000); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(version(), edited->message.version);

  auto page = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(seqs(page->items), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(page->items[0].text, "see you at six");
  EXPECT_EQ(page->items[0].edited_at, 5000);
  EXPECT_FALSE(page->items[1].edited_at.has_value());

  auto changes = store().message_changes(b.id, c.id, before, 50);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_EQ(changes->items[0].seq, 1);

  auto missing = in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 9, "x", 1); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, EraseRemovesTextAndSearchMatchesAndIsIdempotent) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "the pin is walrus");
  send(c.id, a.id, "m2", 1001, "another walrus");
  auto found = store().search(b.id, SearchQuery{"walrus", std::nullopt, 20, 0});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->items.size(), 2u);

  auto erased = in_txn(store(), [&](WriteTxn& txn) { return txn.erase_message(c.id, 1, 7000); });
  ASSERT_TRUE(erased.ok()) << erased.error().message;
  EXPECT_TRUE(erased->changed);
  EXPECT_EQ(erased->message.text, "");
  EXPECT_EQ(erased->message.deleted_at, 7000);
  const int64_t after = version();
  auto again = in_txn(store(), [&](WriteTxn& txn) { return txn.erase_message(c.id, 1, 8000); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->message.deleted_at, 7000);
  EXPECT_EQ(version(), after);

  found = store().search(b.id, SearchQuery{"walrus", std::nullopt, 20, 0});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].message.seq, 2);

  auto page = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(seqs(page->items), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(page->items[0].deleted_at.has_value());
  EXPECT_EQ(page->items[0].text, "");

  auto edit = in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 1, "back", 9000); });
  ASSERT_FALSE(edit.ok());
  EXPECT_EQ(edit.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreConformance, HideIsPerUserAndReachesOnlyTheirSync) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "llama meme");
  send(c.id, a.id, "m2", 1001, "second");
  const int64_t before = version();
  auto hidden = in_txn(store(), [&](WriteTxn& txn) { return txn.hide_message(b.id, c.id, 1); });
  ASSERT_TRUE(hidden.ok()) << hidden.error().message;
  EXPECT_TRUE(hidden->changed);
  EXPECT_GT(hidden->version, before);
  auto again = in_txn(store(), [&](WriteTxn& txn) { return txn.hide_message(b.id, c.id, 1); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->version, hidden->version);

  auto bob_sync = store().changes_since(b.id, before, 50);
  ASSERT_TRUE(bob_sync.ok());
  ASSERT_EQ(bob_sync->conversations.size(), 1u);
  EXPECT_EQ(bob_sync->conversations[0].version, hidden->version);
  auto alice_sync = store().changes_since(a.id, before, 50);
  ASSERT_TRUE(alice_sync.ok());
  EXPECT_TRUE(alice_sync->conversations.empty());

  auto bob_page = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(bob_page.ok());
  EXPECT_TRUE(bob_page->items[0].hidden);
  EXPECT_EQ(bob_page->items[0].text, "");
  auto alice_page = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(alice_page.ok());
  EXPECT_FALSE(alice_page->items[0].hidden);
  EXPECT_EQ(alice_page->items[0].text, "llama meme");
  // Backwards pages as well (the newest first).
  auto bob_back = store().history(b.id, HistoryQuery{c.id, 1000, std::nullopt, 50});
  ASSERT_TRUE(bob_back.ok());
  ASSERT_FALSE(bob_back->items.empty());
  EXPECT_TRUE(bob_back->items.back().hidden);
  EXPECT_EQ(bob_back->items.back().text, "");
  auto alice_back = store().history(a.id, HistoryQuery{c.id, 1000, std::nullopt, 50});
  ASSERT_TRUE(alice_back.ok());
  ASSERT_FALSE(alice_back->items.empty());
  EXPECT_FALSE(alice_back->items.back().hidden);
  EXPECT_EQ(alice_back->items.back().text, "llama meme");

  auto changes = store().message_changes(b.id, c.id, before, 50);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_TRUE(changes->items[0].hidden);
  EXPECT_EQ(changes->items[0].version, hidden->version);

  auto search = store().search(b.id, SearchQuery{"llama", std::nullopt, 20, 0});
  ASSERT_TRUE(search.ok());
  EXPECT_TRUE(search->items.empty());

  auto stranger = user("eve");
  auto refused = in_txn(store(), [&](WriteTxn& txn) { return txn.hide_message(stranger.id, c.id, 1); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, MessageChangesPageInVersionOrder) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  for (int i = 1; i <= 5; ++i) send(c.id, a.id, "m" + std::to_string(i), 1000 + i, "text");
  auto edited = in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 2, "new", 9000); });
  ASSERT_TRUE(edited.ok());
  std::vector<int64_t> order;
  int64_t since = 0;
  for (;;) {
    auto page = store().message_changes(b.id, c.id, since, 2);
    ASSERT_TRUE(page.ok());
    for (const auto& m : page->items) order.push_back(m.seq);
    if (!page->has_more) break;
    since = page->items.back().version;
  }
  EXPECT_EQ(order, (std::vector<int64_t>{1, 3, 4, 5, 2})) << "each message once, at its newest change";
  auto stranger = user("eve");
  auto refused = store().message_changes(stranger.id, c.id, 0, 10);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, SearchRanksHighlightsPaginatesAndFoldsCaseAndAccents) {
  auto a = user("alice"), b = user("bob"), e = user("eve");
  auto c = direct(a.id, b.id);
  auto other = direct(a.id, e.id);
  send(c.id, a.id, "m1", 1000, "pizza tonight?");
  send(c.id, a.id, "m2", 1001, "pizza pizza pizza");
  send(c.id, a.id, "m3", 1002, "Meet me at the Café");
  send(other.id, a.id, "m4", 1003, "pizza with eve");
  auto found = store().search(b.id, SearchQuery{"PIZZA", std::nullopt, 20, 0});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->items.size(), 2u) << "bob does not see alice's chat with eve";
  EXPECT_EQ(found->items[0].message.text, "pizza pizza pizza");
  EXPECT_LE(found->items[0].rank, found->items[1].rank);
  EXPECT_EQ(found->items[1].snippet, "\xFFpizza\xFE tonight?");

  auto cafe = store().search(b.id, SearchQuery{"cafe", std::nullopt, 20, 0});
  ASSERT_TRUE(cafe.ok());
  ASSERT_EQ(cafe->items.size(), 1u);
  auto prefix = store().search(b.id, SearchQuery{"toni", std::nullopt, 20, 0});
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->items.size(), 1u) << "the last word matches as a prefix";

  auto page1 = store().search(a.id, SearchQuery{"pizza", std::nullopt, 2, 0});
  ASSERT_TRUE(page1.ok());
  EXPECT_EQ(page1->items.size(), 2u);
  EXPECT_TRUE(page1->has_more);
  auto page2 = store().search(a.id, SearchQuery{"pizza", std::nullopt, 2, 2});
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2->items.size(), 1u);
  EXPECT_FALSE(page2->has_more);

  auto one = store().search(a.id, SearchQuery{"pizza", other.id, 20, 0});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(one->items[0].message.text, "pizza with eve");
  auto not_mine = store().search(b.id, SearchQuery{"pizza", other.id, 20, 0});
  ASSERT_FALSE(not_mine.ok());
  EXPECT_EQ(not_mine.error().code, Errc::kNotFound);
  auto no_words = store().search(b.id, SearchQuery{" ,;", std::nullopt, 20, 0});
  ASSERT_FALSE(no_words.ok());
  EXPECT_EQ(no_words.error().code, Errc::kInvalidArgument);
  auto syntax = store().search(b.id, SearchQuery{"pizza\" OR NEAR(", std::nullopt, 20, 0});
  EXPECT_TRUE(syntax.ok()) << "user input is never FTS syntax";
}

TEST_P(StoreConformance, SearchFindsWordsInEveryScript) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "Καλημέρα κόσμε");
  send(c.id, a.id, "m2", 1001, "我明天去東京看朋友");
  send(c.id, a.id, "m3", 1002, "きょうはとてもいい天気ですね");
  send(c.id, a.id, "m4", 1003, "Привет, как дела?");
  send(c.id, a.id, "m5", 1004, "Crème brûlée à volonté");
  auto found = [&](const std::string& q) {
    std::vector<std::string> out;
    auto r = store().search(b.id, SearchQuery{q, std::nullopt, 20, 0});
    EXPECT_TRUE(r.ok()) << q;
    if (r.ok())
      for (const auto& hit : r->items) out.push_back(hit.message.client_id);
    return out;
  };
  EXPECT_EQ(found("καλημερα"), (std::vector<std::string>{"m1"})) << "Greek without accents";
  EXPECT_EQ(found("ΚΌΣΜΕ"), (std::vector<std::string>{"m1"})) << "Greek capitals";
  EXPECT_EQ(found("東京"), (std::vector<std::string>{"m2"})) << "a Chinese word inside a sentence";
  EXPECT_EQ(found("朋友"), (std::vector<std::string>{"m2"}));
  EXPECT_TRUE(found("東友").empty()) << "characters must be adjacent";
  EXPECT_EQ(found("天気"), (std::vector<std::string>{"m3"})) << "Japanese";
  EXPECT_EQ(found("дела"), (std::vector<std::string>{"m4"}));
  EXPECT_EQ(found("creme brulee"), (std::vector<std::string>{"m5"}));
  auto snippet = store().search(b.id, SearchQuery{"東京", std::nullopt, 20, 0});
  ASSERT_TRUE(snippet.ok());
  ASSERT_EQ(snippet->items.size(), 1u);
  EXPECT_EQ(snippet->items[0].snippet, "我明天去\xFF東京\xFE看朋友") << "highlights the word";
}

TEST_P(StoreConformance, AVeryLongWordIsStoredAndFoundWhole) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  std::string word;
  for (int i = 0; i < 4000; ++i) word += "\xC3\xA9";  // "é", 8000 bytes
  send(c.id, a.id, "long", 1000, word + " tail");
  auto found = store().search(b.id, SearchQuery{word, std::nullopt, 20, 0});
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].message.text, word + " tail");
  auto tail = store().search(b.id, SearchQuery{"tail", std::nullopt, 20, 0});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->items.size(), 1u);
}

TEST_P(StoreConformance, SearchHonoursMembershipBoundaries) {
  auto a = user("alice"), b = user("bob"), d = user("dave");
  auto g = group(a.id);
  ASSERT_TRUE(add(g.id, d.id, 0).ok());
  send(g.id, a.id, "s1", 1000, "walrus early");
  ASSERT_TRUE(remove(g.id, d.id, 1).ok());
  send(g.id, a.id, "s2", 1001, "walrus late");
  ASSERT_TRUE(add(g.id, b.id, 2).ok());
  send(g.id, a.id, "s3", 1002, "walrus latest");
  auto texts = [&](int64_t viewer) {
    std::vector<std::string> out;
    auto found = store().search(viewer, SearchQuery{"walrus", std::nullopt, 20, 0});
    EXPECT_TRUE(found.ok());
    if (found.ok())
      for (const auto& hit : found->items) out.push_back(hit.message.text);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(texts(d.id), (std::vector<std::string>{"walrus early"}));
  EXPECT_EQ(texts(b.id), (std::vector<std::string>{"walrus latest"}));
  EXPECT_EQ(texts(a.id), (std::vector<std::string>{"walrus early", "walrus late", "walrus latest"}));
}

TEST_P(StoreConformance, ReplyToIsStoredAndReadBackByEveryRead) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "original words");
  const int64_t before = version();
  NewMessage reply{c.id, b.id, "r1", "text", "answer", 1001};
  reply.reply_to = 1;
  auto sent = in_txn(store(), [&](WriteTxn& txn) { return txn.append_message(reply); });
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->message.reply_to, 1);
  auto retry = in_txn(store(), [&](WriteTxn& txn) { return txn.append_message(reply); });
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->message.reply_to, 1);

  auto page = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].reply_to, 0);
  EXPECT_EQ(page->items[1].reply_to, 1);
  auto changes = store().message_changes(a.id, c.id, before, 50);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_EQ(changes->items[0].reply_to, 1);
  EXPECT_EQ(seen_by(c.id, a.id).last_message->reply_to, 1);

  // The reply keeps pointing at the original through its edit and its deletion.
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) { return txn.edit_message(c.id, 1, "new", 2000); }).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) { return txn.erase_message(c.id, 1, 3000); }).ok());
  page = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items[1].reply_to, 1);
  EXPECT_TRUE(page->items[0].deleted_at.has_value());
}

TEST_P(StoreConformance, VisibleMessageFollowsTheMembersWindowAndHides) {
  auto a = user("alice"), b = user("bob"), eve = user("eve");
  ConversationRecord g = group(a.id);
  send(g.id, a.id, "m1", 1000, "before bob");
  ASSERT_TRUE(add(g.id, b.id, 1).ok());
  send(g.id, a.id, "m2", 1001, "bob sees this");
  send(g.id, a.id, "m3", 1002, "and this");
  ASSERT_TRUE(remove(g.id, b.id, 3).ok());
  send(g.id, a.id, "m4", 1003, "after bob");
  auto visible = [&](int64_t user_id, int64_t seq) {
    auto found = in_txn(store(), [&](WriteTxn& txn) { return txn.visible_message(user_id, g.id, seq); });
    EXPECT_TRUE(found.ok());
    return found.ok() ? *found : std::optional<MessageRecord>();
  };
  EXPECT_FALSE(visible(b.id, 1).has_value());
  ASSERT_TRUE(visible(b.id, 2).has_value());
  EXPECT_EQ(visible(b.id, 2)->text, "bob sees this");
  EXPECT_FALSE(visible(b.id, 2)->hidden);
  EXPECT_TRUE(visible(b.id, 3).has_value());
  EXPECT_FALSE(visible(b.id, 4).has_value());
  EXPECT_FALSE(visible(b.id, 5).has_value());
  EXPECT_FALSE(visible(eve.id, 2).has_value());
  EXPECT_TRUE(visible(a.id, 4).has_value());

  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& txn) { return txn.hide_message(b.id, g.id, 2); }).ok());
  auto hidden = visible(b.id, 2);
  ASSERT_TRUE(hidden.has_value());
  EXPECT_TRUE(hidden->hidden);
  EXPECT_EQ(hidden->text, "");
  EXPECT_FALSE(visible(a.id, 2)->hidden);
}

TEST_P(StoreConformance, ReactionsAreOnePerUserAndReachHistoryChangesAndSync) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "party tonight");
  send(c.id, a.id, "m2", 1001, "bring snacks");
  auto react = [&](int64_t who, int64_t seq, const std::string& emoji, int64_t now) {
    return in_txn(store(), [&](WriteTxn& txn) { return txn.set_reaction(who, c.id, seq, emoji, now); });
  };
  const int64_t before = version();
  auto set = react(b.id, 1, "👍", 2000);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_TRUE(set->changed);
  EXPECT_GT(set->version, before);
  EXPECT_EQ(set->member_ids, (std::vector<int64_t>{a.id, b.id}));
  auto same = react(b.id, 1, "👍", 2001);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->version, set->version);
  EXPECT_EQ(version(), set->version);
  ASSERT_TRUE(react(a.id, 1, "🎉", 2002)->changed);
  auto replaced = react(b.id, 1, "❤️", 2003);
  ASSERT_TRUE(replaced.ok());
  EXPECT_TRUE(replaced->changed);

  auto page = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items[0].reactions.size(), 2u);
  EXPECT_EQ(page->items[0].reactions[0].user_id, a.id);  // oldest first: bob's was replaced later
  EXPECT_EQ(page->items[0].reactions[0].emoji, "🎉");
  EXPECT_EQ(page->items[0].reactions[1].user_id, b.id);
  EXPECT_EQ(page->items[0].reactions[1].emoji, "❤️");
  EXPECT_EQ(page->items[0].version, replaced->version);
  EXPECT_TRUE(page->items[1].reactions.empty());

  // Offline devices: the conversation and the message changed at the reaction's version.
  auto sync = store().changes_since(a.id, before, 50);
  ASSERT_TRUE(sync.ok());
  ASSERT_EQ(sync->conversations.size(), 1u);
  EXPECT_EQ(sync->conversations[0].version, replaced->version);
  auto changes = store().message_changes(a.id, c.id, before, 50);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_EQ(changes->items[0].seq, 1);
  EXPECT_EQ(changes->items[0].reactions.size(), 2u);

  // Removing: once changes, twice does nothing.
  auto removed = react(b.id, 1, "", 2004);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->changed);
  EXPECT_FALSE(react(b.id, 1, "", 2005)->changed);
  page = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_EQ(page->items[0].reactions.size(), 1u);
  EXPECT_EQ(page->items[0].reactions[0].user_id, a.id);

  // The last message of a conversation carries its reactions too.
  ASSERT_TRUE(react(b.id, 2, "😂", 2006)->changed);
  auto last = seen_by(c.id, a.id).last_message;
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->reactions.size(), 1u);
  EXPECT_EQ(last->reactions[0].emoji, "😂");

  auto missing = react(b.id, 9, "👍", 2007);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, ReactionsReachEveryMessageOfTheLargestPage) {
  // A page of 200 (the most history gives) with reactions spread over it, at both ends and
  // around every multiple of 64: each message gets exactly its own, whatever the page size.
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  for (int i = 1; i <= 200; ++i) send(c.id, a.id, "m" + std::to_string(i), 1000 + i, "message " + std::to_string(i));
  const std::vector<int64_t> reacted = {1, 2, 63, 64, 65, 128, 129, 192, 193, 199, 200};
  for (int64_t seq : reacted) {
    ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) {
      return t.set_reaction(b.id, c.id, seq, "👍", 2000 + seq);
    }).ok());
  }
  for (int round = 0; round < 2; ++round) {  // the second time through cached statements
    auto page = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 200});
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_EQ(page->items.size(), 200u);
    for (const MessageRecord& m : page->items) {
      const bool has = std::find(reacted.begin(), reacted.end(), m.seq) != reacted.end();
      ASSERT_EQ(m.reactions.size(), has ? 1u : 0u) << "seq " << m.seq;
      if (has) {
        EXPECT_EQ(m.reactions[0].user_id, b.id);
        EXPECT_EQ(m.reactions[0].created_at, 2000 + m.seq);
      }
    }
    // Pages of other sizes and places see the same.
    auto tail = store().history(a.id, HistoryQuery{c.id, 131, std::nullopt, 70});
    ASSERT_TRUE(tail.ok());
    ASSERT_EQ(tail->items.size(), 70u);
    std::size_t with = 0;
    for (const MessageRecord& m : tail->items) with += m.reactions.size();
    EXPECT_EQ(with, 5u);  // 63, 64, 65, 128, 129 of seq 61..130
  }
}

TEST_P(StoreConformance, ReactionsOfABlockedUserAreHiddenFromTheBlockerInDirectChatsOnly) {
  auto a = user("alice"), b = user("bob"), c3 = user("carol");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "hi");
  ConversationRecord g = group(a.id);
  ASSERT_TRUE(add(g.id, b.id, 0).ok());
  ASSERT_TRUE(add(g.id, c3.id, 0).ok());
  send(g.id, a.id, "g1", 1001, "hello all");
  ASSERT_TRUE(block(a.id, b.id).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_reaction(b.id, c.id, 1, "😡", 2000); }).ok());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_reaction(b.id, g.id, 1, "👋", 2001); }).ok());

  auto alice_direct = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(alice_direct.ok());
  EXPECT_TRUE(alice_direct->items[0].reactions.empty());
  auto bob_direct = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_EQ(bob_direct->items[0].reactions.size(), 1u);  // he sees his own
  auto alice_group = store().history(a.id, HistoryQuery{g.id, std::nullopt, 0, 50});
  ASSERT_EQ(alice_group->items.back().reactions.size(), 1u);  // groups keep working

  // A message hidden from the viewer shows no reactions.
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.hide_message(c3.id, g.id, 1); }).ok());
  auto carol_group = store().history(c3.id, HistoryQuery{g.id, std::nullopt, 0, 50});
  EXPECT_TRUE(carol_group->items.back().reactions.empty());

  ASSERT_TRUE(block(a.id, b.id, false).ok());
  alice_direct = store().history(a.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  EXPECT_EQ(alice_direct->items[0].reactions.size(), 1u);
}

TEST_P(StoreConformance, ForwardedFlagIsStoredAndReadBack) {
  auto a = user("alice"), b = user("bob");
  auto c = direct(a.id, b.id);
  send(c.id, a.id, "m1", 1000, "plain");
  NewMessage copy{c.id, a.id, "f1", "text", "passed along", 1001};
  copy.forwarded = true;
  auto sent = in_txn(store(), [&](WriteTxn& txn) { return txn.append_message(copy); });
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(sent->message.forwarded);
  auto page = store().history(b.id, HistoryQuery{c.id, std::nullopt, 0, 50});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->items[0].forwarded);
  EXPECT_TRUE(page->items[1].forwarded);
  EXPECT_TRUE(seen_by(c.id, b.id).last_message->forwarded);
  auto retry = in_txn(store(), [&](WriteTxn& txn) { return txn.append_message(copy); });
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_TRUE(retry->message.forwarded);
}

TEST_P(StoreConformance, PinAndArchiveArePerUserAndSyncOnlyToThem) {
  auto a = user("alice"), b = user("bob"), c3 = user("carol");
  auto ab = direct(a.id, b.id), ac = direct(a.id, c3.id);
  send(ab.id, a.id, "m1", 1000, "hi bob");
  const int64_t before = version();
  auto state = [&](int64_t conv, int64_t who, std::optional<bool> pin, std::optional<bool> arch, int max = 5) {
    return in_txn(store(), [&](WriteTxn& t) { return t.set_chat_state(conv, who, pin, arch, max, 5000); });
  };
  auto pinned = state(ab.id, a.id, true, std::nullopt);
  ASSERT_TRUE(pinned.ok()) << pinned.error().message;
  EXPECT_TRUE(pinned->changed);
  EXPECT_EQ(pinned->pinned_at, 5000);
  EXPECT_FALSE(pinned->archived);
  EXPECT_FALSE(state(ab.id, a.id, true, std::nullopt)->changed);  // already pinned
  EXPECT_EQ(seen_by(ab.id, a.id).pinned_at, 5000);
  EXPECT_FALSE(seen_by(ab.id, b.id).pinned_at.has_value());   // bob's view is his own

  auto alice_sync = store().changes_since(a.id, before, 50);
  ASSERT_EQ(alice_sync->conversations.size(), 1u);
  EXPECT_EQ(alice_sync->conversations[0].version, pinned->version);
  EXPECT_EQ(alice_sync->conversations[0].pinned_at, 5000);
  EXPECT_TRUE(store().changes_since(b.id, before, 50)->conversations.empty());

  auto archived = state(ac.id, a.id, std::nullopt, true);
  ASSERT_TRUE(archived.ok());
  EXPECT_TRUE(archived->archived);
  auto list = store().list_conversations(a.id, std::nullopt, 50);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 2u);
  for (const auto& c : list->items) {
    EXPECT_EQ(c.archived, c.id == ac.id);
    EXPECT_EQ(c.pinned_at.has_value(), c.id == ab.id);
  }
  // The limit counts this user's pins only.
  auto over = state(ac.id, a.id, true, std::nullopt, 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(state(ab.id, b.id, true, std::nullopt, 1)->changed);
  auto unpinned = state(ab.id, a.id, false, false);
  ASSERT_TRUE(unpinned.ok());
  EXPECT_TRUE(unpinned->changed);
  EXPECT_FALSE(seen_by(ab.id, a.id).pinned_at.has_value());
  auto stranger = state(ab.id, c3.id, true, std::nullopt);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, FailedOpDoesNotSpoilItsBatch) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  std::vector<Errc> errors;
  std::optional<UserRecord> carol;
  std::optional<MessageRecord> message;
  Status status = write_batch(
      store(),
      {[&](WriteTxn& t) { errors.push_back(t.create_user("alice", "dup", "h", 1).error().code); },
       [&](WriteTxn& t) { carol = t.create_user("carol", "Carol", "h", 1).value(); },
       [&](WriteTxn& t) { errors.push_back(t.advance_receipt(c.id, bob.id, 9, 9).error().code); },
       [&](WriteTxn& t) { message = t.append_message({c.id, alice.id, "ok", "text", "t", 1}).value().message; },
       [&](WriteTxn& t) { errors.push_back(t.append_message({c.id + 99, alice.id, "no", "text", "t", 1}).error().code); },
       [&](WriteTxn& t) { errors.push_back(t.get_or_create_direct(alice.id, 9999, 1).error().code); }});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::kUsernameTaken, Errc::kInvalidArgument,
                                       Errc::kNotFound, Errc::kNotFound}));
  ASSERT_TRUE(carol.has_value());
  EXPECT_TRUE(store().find_user_by_name("carol")->has_value());
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->seq, 1);
  EXPECT_EQ(version(), message->version);
  ConversationRecord now = seen_by(c.id, bob.id);
  EXPECT_EQ(now.last_seq, 1);
  EXPECT_EQ(member(now, bob.id).delivered_seq, 0);
}

TEST_P(StoreConformance, OpThatFailsAfterWritingLeavesNoTraceAndSparesItsBatch) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  UserRecord carol = user("carol");
  const int64_t nobody = alice.id + bob.id + carol.id + 100;
  ConversationRecord d = direct(alice.id, bob.id);
  ConversationRecord g = group(alice.id, "Team");
  const ConversationRecord group_before = seen_by(g.id, alice.id);
  const auto chats_before = store().list_conversations(alice.id, std::nullopt, 100);
  ASSERT_TRUE(chats_before.ok());

  std::optional<MessageRecord> first, last;
  std::vector<Errc> errors;
  auto failed = [&](Status s) {
    errors.push_back(s.ok() ? Errc::kInternal : s.error().code);
    return s;
  };
  Status status = test::write_ops(
      store(),
      {[&](WriteTxn& t) -> Status {
         first = t.append_message({d.id, alice.id, "m1", "text", "one", 1}).value().message;
         return {};
       },
       // A group created, a member added, then an unknown member: the whole op fails.
       [&](WriteTxn& t) -> Status {
         auto created = t.create_group(alice.id, "Half", "", 1);
         if (!created) return failed(created.error());
         if (Status s = t.add_member(created->id, bob.id, "member", 0, 1); !s) return failed(s);
         if (auto m = t.append_message({created->id, alice.id, "sys", "system", "{}", 1}); !m)
           return failed(m.error());
         return failed(t.add_member(created->id, nobody, "member", 0, 1));
       },
       // Carol added to an existing group, then an unknown user: carol is not added.
       [&](WriteTxn& t) -> Status {
         if (Status s = t.add_member(g.id, carol.id, "member", 0, 1); !s) return failed(s);
         if (auto m = t.append_message({g.id, alice.id, "sys2", "system", "{}", 1}); !m)
           return failed(m.error());
         return failed(t.add_member(g.id, nobody, "member", 0, 1));
       },
       [&](WriteTxn& t) -> Status {
         last = t.append_message({d.id, alice.id, "m2", "text", "two", 1}).value().message;
         return {};
       }});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::kNotFound, Errc::kNotFound}));
  ASSERT_TRUE(first.has_value() && last.has_value());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(last->seq, 2);
  // The versions the failed ops took were given back: the last commit has the newest.
  EXPECT_EQ(version(), last->version);
  EXPECT_EQ(last->version, first->version + 1);

  // No stray group, member, or message.
  auto chats = store().list_conversations(alice.id, std::nullopt, 100);
  ASSERT_TRUE(chats.ok());
  auto sorted_ids = [](const Page<ConversationRecord>& page) {
    std::vector<int64_t> out = ids(page.items);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(sorted_ids(*chats), sorted_ids(*chats_before));
  auto bobs = store().list_conversations(bob.id, std::nullopt, 100);
  ASSERT_TRUE(bobs.ok());
  EXPECT_EQ(ids(bobs->items), (std::vector<int64_t>{d.id}));
  EXPECT_FALSE(store().conversation_for_member(g.id, carol.id)->has_value());
  EXPECT_EQ(member_ids(*store().group_members(g.id, alice.id)), (std::vector<int64_t>{alice.id}));
  const ConversationRecord group_after = seen_by(g.id, alice.id);
  EXPECT_EQ(group_after.version, group_before.version);
  EXPECT_EQ(group_after.last_seq, 0);
  EXPECT_TRUE(visible_seqs(alice.id, g.id).empty());
  EXPECT_EQ(visible_seqs(bob.id, d.id), (std::vector<int64_t>{1, 2}));

  // The next group gets on as if nothing had happened.
  ConversationRecord next = group(alice.id, "Next");
  EXPECT_EQ(seen_by(next.id, alice.id).last_seq, 0);
  EXPECT_EQ(next.version, last->version + 1);
}

TEST_P(StoreConformance, EmptyBatchCommitsAndChangesNothing) {
  const int64_t v = version();
  EXPECT_TRUE(store().write({}).ok());
  EXPECT_EQ(version(), v);
}

// ---- push subscriptions -----------------------------------------------------------------

namespace {
PushSubscriptionRecord web_subscription(int64_t user_id, int64_t session_id, std::string endpoint) {
  PushSubscriptionRecord s;
  s.user_id = user_id;
  s.session_id = session_id;
  s.kind = "webpush";
  s.endpoint = std::move(endpoint);
  s.p256dh = "key-" + s.endpoint;
  s.auth = "auth";
  s.created_at = 500;
  return s;
}
}  // namespace

TEST_P(StoreConformance, PushSubscriptionsAreListedPerSessionAndReRegisteringMovesThem) {
  UserRecord alice = user("alice");
  auto session = [&](const std::string& token) {
    return in_txn(store(), [&](WriteTxn& t) { return t.create_session(alice.id, token, "d", 10, 10'000); }).value();
  };
  SessionRecord phone = session("p"), laptop = session("l");
  PushSubscriptionLimits limits;
  auto a = in_txn(store(), [&](WriteTxn& t) {
    return t.put_push_subscription(web_subscription(alice.id, phone.id, "https://push.example/a"), limits);
  });
  ASSERT_TRUE(a.ok());
  PushSubscriptionRecord gateway;
  gateway.user_id = alice.id;
  gateway.session_id = phone.id;
  gateway.kind = "gateway";
  gateway.app_id = "org.example.app";
  gateway.endpoint = "pushkey-1";
  gateway.created_at = 600;
  auto g = in_txn(store(), [&](WriteTxn& t) { return t.put_push_subscription(gateway, limits); });
  ASSERT_TRUE(g.ok());
  EXPECT_NE(a->id, g->id);

  auto listed = store().push_subscriptions(alice.id, phone.id).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].endpoint, "https://push.example/a");
  EXPECT_EQ(listed[0].p256dh, "key-https://push.example/a");
  EXPECT_EQ(listed[1].kind, "gateway");
  EXPECT_EQ(listed[1].app_id, "org.example.app");
  EXPECT_TRUE(store().push_subscriptions(alice.id, laptop.id)->empty());

  // The same endpoint from another session of the user: moved, same id, new keys.
  auto moved_in = web_subscription(alice.id, laptop.id, "https://push.example/a");
  moved_in.p256dh = "new-key";
  auto moved = in_txn(store(), [&](WriteTxn& t) { return t.put_push_subscription(moved_in, limits); });
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->id, a->id);
  EXPECT_EQ(moved->created_at, 500);
  EXPECT_EQ(store().push_subscriptions(alice.id, phone.id)->size(), 1u);
  ASSERT_EQ(store().push_subscriptions(alice.id, laptop.id)->size(), 1u);
  EXPECT_EQ(store().push_subscriptions(alice.id, laptop.id)->at(0).p256dh, "new-key");

  // Deleting needs the right session.
  EXPECT_FALSE(in_txn(store(), [&](WriteTxn& t) { return t.delete_push_subscription(alice.id, phone.id, a->id); }).value());
  EXPECT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.delete_push_subscription(alice.id, laptop.id, a->id); }).value());
  EXPECT_TRUE(store().push_subscriptions(alice.id, laptop.id)->empty());
}

TEST_P(StoreConformance, PushSubscriptionLimitsRefuseNewKeysAndWriteNothing) {
  UserRecord alice = user("alice");
  auto s1 = in_txn(store(), [&](WriteTxn& t) { return t.create_session(alice.id, "a", "d", 10, 10'000); }).value();
  auto s2 = in_txn(store(), [&](WriteTxn& t) { return t.create_session(alice.id, "b", "d", 10, 10'000); }).value();
  PushSubscriptionLimits limits{2, 3};
  auto put = [&](int64_t session, const std::string& e) {
    return in_txn(store(), [&](WriteTxn& t) { return t.put_push_subscription(web_subscription(alice.id, session, e), limits); });
  };
  ASSERT_TRUE(put(s1.id, "https://p/1").ok());
  ASSERT_TRUE(put(s1.id, "https://p/2").ok());
  auto third = put(s1.id, "https://p/3");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::kForbidden);
  EXPECT_TRUE(put(s1.id, "https://p/2").ok());  // an existing key is not a new one
  ASSERT_TRUE(put(s2.id, "https://p/4").ok());
  EXPECT_EQ(put(s2.id, "https://p/5").error().code, Errc::kForbidden);  // the user's limit
  EXPECT_EQ(store().push_subscriptions(alice.id, s1.id)->size(), 2u);
  EXPECT_EQ(store().push_subscriptions(alice.id, s2.id)->size(), 1u);
}

TEST_P(StoreConformance, PushTargetsAreLiveSessionsAndRevocationDeletesSubscriptions) {
  UserRecord alice = user("alice"), bob = user("bob");
  auto session = [&](int64_t uid, const std::string& token, int64_t expires) {
    return in_txn(store(), [&](WriteTxn& t) { return t.create_session(uid, token, "d", 10, expires); }).value();
  };
  SessionRecord a1 = session(alice.id, "a1", 10'000), a2 = session(alice.id, "a2", 10'000);
  SessionRecord a_old = session(alice.id, "a3", 100), b1 = session(bob.id, "b1", 10'000);
  PushSubscriptionLimits limits;
  for (auto [uid, sid, e] : std::vector<std::tuple<int64_t, int64_t, std::string>>{
           {alice.id, a1.id, "https://p/a1"}, {alice.id, a2.id, "https://p/a2"},
           {alice.id, a_old.id, "https://p/old"}, {bob.id, b1.id, "https://p/b1"}, {bob.id, b1.id, "https://p/shared"},
           {alice.id, a2.id, "https://p/shared"}}) {
    ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.put_push_subscription(web_subscription(uid, sid, e), limits); }).ok());
  }
  auto endpoints = [&](std::vector<int64_t> users) {
    std::vector<std::string> out;
    auto targets = store().push_targets(users, 1000);
    EXPECT_TRUE(targets.ok());
    for (const auto& s : targets.value()) out.push_back(s.endpoint);
    return out;
  };
  // The expired session's subscription is not a target.
  EXPECT_EQ(endpoints({alice.id}), (std::vector<std::string>{"https://p/a1", "https://p/a2", "https://p/shared"}));
  EXPECT_EQ(endpoints({bob.id, alice.id}).size(), 5u);
  EXPECT_TRUE(endpoints({}).empty());

  // A refused address goes for everyone who registered it.
  EXPECT_EQ(in_txn(store(), [&](WriteTxn& t) { return t.delete_push_address("webpush", "", "https://p/shared"); }).value(), 2);
  EXPECT_EQ(endpoints({bob.id}), (std::vector<std::string>{"https://p/b1"}));

  // Logging one session out deletes its subscriptions; so does "log out other devices".
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.revoke_session(alice.id, a1.id); }).value());
  EXPECT_TRUE(store().push_subscriptions(alice.id, a1.id)->empty());
  EXPECT_EQ(endpoints({alice.id}), (std::vector<std::string>{"https://p/a2"}));
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.revoke_other_sessions(alice.id, a1.id); }).ok());
  EXPECT_TRUE(endpoints({alice.id}).empty());
  EXPECT_TRUE(store().push_subscriptions(alice.id, a_old.id)->empty());
  EXPECT_EQ(endpoints({bob.id}).size(), 1u);
}

TEST_P(StoreConformance, MuteIsPrivateToTheMemberAndSyncsToTheirDevices) {
  UserRecord alice = user("alice"), bob = user("bob"), eve = user("eve");
  ConversationRecord c = direct(alice.id, bob.id);
  send(c.id, alice.id, "m1");
  const int64_t cursor = version();
  auto muted = in_txn(store(), [&](WriteTxn& t) { return t.set_muted_until(c.id, bob.id, kMutedAlways); });
  ASSERT_TRUE(muted.ok());
  EXPECT_GT(*muted, cursor);
  EXPECT_EQ(version(), *muted);

  // Bob's devices see the change by sync; Alice's view has not changed.
  auto bobs = store().changes_since(bob.id, cursor, 10);
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->conversations.size(), 1u);
  EXPECT_TRUE(store().changes_since(alice.id, cursor, 10)->conversations.empty());
  auto seen = store().conversation_for_member(c.id, bob.id).value().value();
  for (const auto& m : seen.members) EXPECT_EQ(m.muted_until, m.user.id == bob.id ? kMutedAlways : 0) << m.user.id;

  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_muted_until(c.id, bob.id, 0); }).ok());
  seen = store().conversation_for_member(c.id, bob.id).value().value();
  for (const auto& m : seen.members) EXPECT_EQ(m.muted_until, 0);

  auto outsider = in_txn(store(), [&](WriteTxn& t) { return t.set_muted_until(c.id, eve.id, 5); });
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().code, Errc::kNotFound);
}

TEST_P(StoreConformance, NotificationPreviewDefaultsToFullAndRefusesOtherValues) {
  UserRecord alice = user("alice");
  EXPECT_EQ(store().notification_preview(alice.id).value(), std::optional<std::string>("full"));
  EXPECT_FALSE(store().notification_preview(alice.id + 100).value().has_value());
  ASSERT_TRUE(in_txn(store(), [&](WriteTxn& t) { return t.set_notification_preview(alice.id, "hidden"); }).ok());
  EXPECT_EQ(store().notification_preview(alice.id).value(), std::optional<std::string>("hidden"));
  auto bad = in_txn(store(), [&](WriteTxn& t) { return t.set_notification_preview(alice.id, "some"); });
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(in_txn(store(), [&](WriteTxn& t) { return t.set_notification_preview(alice.id + 100, "full"); }).error().code,
            Errc::kNotFound);
  EXPECT_EQ(store().notification_preview(alice.id).value(), std::optional<std::string>("hidden"));
}

TEST_P(StoreConformance, UnreadTotalSumsTheUsersActiveConversations) {
  UserRecord alice = user("alice"), bob = user("bob"), carol = user("carol");
  ConversationRecord ab = direct(alice.id, bob.id), cb = direct(carol.id, bob.id);
  EXPECT_EQ(store().unread_total(bob.id).value(), 0);
  for (int i = 0; i < 3; ++i) send(ab.id, alice.id, "a" + std::to_string(i));
  for (int i = 0; i < 2; ++i) send(cb.id, carol.id, "c" + std::to_string(i));
  send(ab.id, bob.id, "b0");  // own messages are read
  EXPECT_EQ(store().unread_total(bob.id).value(), 2);  // b0 moved bob's watermark in ab past a0..a2
  send(ab.id, alice.id, "a3");
  EXPECT_EQ(store().unread_total(bob.id).value(), 3);
  ASSERT_TRUE(receipt(cb.id, bob.id, 0, 1).ok());
  EXPECT_EQ(store().unread_total(bob.id).value(), 2);
  EXPECT_EQ(store().unread_total(alice.id).value(), 0);
}

// ---- threads ----------------------------------------------------------------------------

TEST_P(StoreConformance, ConcurrentReadersDuringWrites) {
  UserRecord alice = user("alice");
  UserRecord bob = user("bob");
  ConversationRecord c = direct(alice.id, bob.id);
  constexpr int kMessages = 150;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> reads{0};

  auto reader = [&](int64_t who) {
    int64_t seen_version = 0;
    int64_t seen_seq = 0;
    while (!done.load()) {
      // Within a snapshot the conversation, its last message and the history agree.
      auto conversation = store().conversation_for_member(c.id, who);
      auto history = store().history(who, {c.id, std::nullopt, std::nullopt, 200});
      auto sync = store().changes_since(who, 0, 10);
      auto v = store().current_version();
      if (!conversation.ok() || !conversation->has_value() || !history.ok() || !sync.ok() ||
          !v.ok()) {
        ++failures;
        continue;
      }
      const ConversationRecord& conv = **conversation;
      if (conv.last_seq > 0 &&
          (!conv.last_message || conv.last_message->seq != conv.last_seq)) {
        ++failures;
      }
      if (conv.last_seq < seen_seq || *v < seen_version) ++failures;  // never goes back
      seen_seq = conv.last_seq;
      seen_version = *v;
      // History is gap-free from its newest seq down.
      const auto& items = history->items;
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].seq != items.front().seq - static_cast<int64_t>(i)) ++failures;
      }
      if (!items.empty() && items.front().seq < conv.last_seq) ++failures;
      if (sync->version < conv.version) ++failures;
      ++reads;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(reader, i % 2 ? alice.id : bob.id);
  for (int i = 0; i < kMessages; ++i) {
    send(c.id, i % 2 ? alice.id : bob.id, "m" + std::to_string(i), i);
    if (i % 10 == 0) (void)receipt(c.id, bob.id, i + 1, i / 2);
  }
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(seen_by(c.id, alice.id).last_seq, kMessages);
}

// ---- implementations --------------------------------------------------------------------

// `flush_after_commit`: SqliteOptions::flush_after_commit (reads then wait for flushes).
class SqliteHarness final : public StoreHarness {
 public:
  explicit SqliteHarness(bool flush_after_commit) : flush_after_commit_(flush_after_commit) {}
  std::unique_ptr<Store> open() override {
    SqliteOptions options{dir_.file("parley.db"), 4, true};
    options.flush_after_commit = flush_after_commit_;
    auto opened = open_sqlite_store(options);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

 private:
  bool flush_after_commit_;
  test::TempDir dir_;
};

// A fresh database on the test PostgreSQL (test_postgres.h) per test.
class PostgresHarness final : public StoreHarness {
 public:
  std::unique_ptr<Store> open() override {
    if (uri_.empty()) {
      auto server = test::TestPostgres::instance();
      EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
      if (!server.ok()) return nullptr;
      auto uri = (*server)->create_database();
      EXPECT_TRUE(uri.ok()) << (uri.ok() ? "" : uri.error().message);
      if (!uri.ok()) return nullptr;
      uri_ = *uri;
    }
    auto opened = open_pg_store(PgOptions{uri_, 4});
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

 private:
  std::string uri_;
};

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformance,
    ::testing::Values(StoreFactory{"Sqlite", [] { return std::make_unique<SqliteHarness>(false); }},
                      StoreFactory{"SqliteFlushAfterCommit",
                                   [] { return std::make_unique<SqliteHarness>(true); }},
                      StoreFactory{"Postgres", [] { return std::make_unique<PostgresHarness>(); }}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace parley::store
