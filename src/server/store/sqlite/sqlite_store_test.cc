// What only the SQLite store promises: the file survives reopening, migrations run once,
// the durability settings are really in force, and a storage failure rolls back a batch.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>
#include <memory>
#include <string>

#include "server/store/sqlite/db.h"
#include "server/store/sqlite/migrations.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/store/sqlite/sqlite_store_impl.h"
#include "server/store/sqlite/wal_flush.h"
#include "server/store/store_test_support.h"

namespace parley::store {
namespace {

// A text message for append_message, its other fields left empty.
NewMessage new_message(int64_t conversation_id, int64_t sender_id, std::string client_id, std::string kind,
                       std::string text, int64_t ts) {
  NewMessage m;
  m.conversation_id = conversation_id;
  m.sender_id = sender_id;
  m.client_id = std::move(client_id);
  m.kind = std::move(kind);
  m.text = std::move(text);
  m.ts = ts;
  return m;
}

using test::in_txn;
using test::write_batch;

std::unique_ptr<Store> open_or_fail(const std::string& path) {
  auto opened = open_sqlite_store(SqliteOptions{path, 2, true});
  EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
  return opened.ok() ? std::move(opened).value() : nullptr;
}

// Runs SQL on a separate connection, as another process would; returns the first column
// of the first row as text.
std::string side_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  } else {
    EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

struct Seeded {
  UserRecord alice;
  UserRecord bob;
  ConversationRecord conversation;
  MessageRecord message;
};

Seeded seed(Store& store) {
  Seeded s;
  s.alice = in_txn(store, [](WriteTxn& t) { return t.create_user("alice", "Alice", "ha", 1); }).value();
  s.bob = in_txn(store, [](WriteTxn& t) { return t.create_user("bob", "Bob", "hb", 1); }).value();
  s.conversation = in_txn(store, [&](WriteTxn& t) {
                     return t.get_or_create_direct(s.alice.id, s.bob.id, 2);
                   }).value().conversation;
  s.message = in_txn(store, [&](WriteTxn& t) {
                return t.append_message(new_message(s.conversation.id, s.alice.id, "c1", "text", "hi", 3));
              }).value().message;
  return s;
}

TEST(SqliteStore, ReopenKeepsDataAndVersion) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  Seeded s;
  int64_t version = 0;
  {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    s = seed(*store);
    version = store->current_version().value();
    EXPECT_EQ(version, s.message.version);
  }
  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->current_version().value(), version);
  auto conversation = store->conversation_for_member(s.conversation.id, s.bob.id);
  ASSERT_TRUE(conversation.ok() && conversation->has_value());
  EXPECT_EQ((*conversation)->last_seq, 1);
  ASSERT_TRUE((*conversation)->last_message.has_value());
  EXPECT_EQ((*conversation)->last_message->text, "hi");

  // The client id is still known after a restart, and the counter carries on.
  auto again = in_txn(*store, [&](WriteTxn& t) {
    return t.append_message(new_message(s.conversation.id, s.alice.id, "c1", "text", "retry", 9));
  });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, s.message.id);
  auto next = in_txn(*store, [&](WriteTxn& t) {
    return t.append_message(new_message(s.conversation.id, s.bob.id, "c2", "text", "new", 9));
  });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->message.seq, 2);
  EXPECT_EQ(next->message.version, version + 1);
}

TEST(SqliteStore, MigrationsAreIdempotent) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  for (int i = 0; i < 3; ++i) {
    auto store = open_or_fail(path);
    ASSERT_NE(store, nullptr);
    if (i == 0) seed(*store);
    EXPECT_EQ(store->find_user_by_name("alice")->has_value(), true);
  }
  EXPECT_EQ(side_query(path, "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EXPECT_EQ(side_query(path, "SELECT count(*) FROM users"), "2");
  EXPECT_EQ(side_query(path, "SELECT group_concat(key, ',') FROM (SELECT key FROM meta ORDER BY key)"),
            "commit,version");
}

TEST(SqliteStore, RefusesADatabaseFromANewerSchema) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  { ASSERT_NE(open_or_fail(path), nullptr); }
  side_query(path, "PRAGMA user_version = 999");
  auto opened = open_sqlite_store(SqliteOptions{path, 1, true});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kInternal);
  EXPECT_NE(opened.error().message.find("999"), std::string::npos);
}

TEST(SqliteStore, OpenFailsAsAValueWhenTheFileCannotBeCreated) {
  test::TempDir dir;
  auto opened = open_sqlite_store(SqliteOptions{dir.file("missing-dir/p.db"), 1, true});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::kInternal);
}

TEST(SqliteStore, WalAndTheDurabilitySettingsAreSet) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  // The default: COMMIT does not flush (synchronous=NORMAL); the store flushes the WAL
  // after it (WalFlush), before anything of the commit is read or acknowledged.
  auto opened = sqlite::SqliteStore::open(SqliteOptions{path, 1, true});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  sqlite::SqliteStore& store = *opened.value();
  EXPECT_EQ(store.writer_pragma("journal_mode").value(), "wal");
  EXPECT_EQ(store.writer_pragma("synchronous").value(), "1");  // 1 = NORMAL
  EXPECT_EQ(store.writer_pragma("foreign_keys").value(), "1");
  EXPECT_EQ(side_query(path, "PRAGMA journal_mode"), "wal");  // recorded in the file
  seed(store);
  ASSERT_TRUE(store.flush_committed().ok());
  EXPECT_EQ(store.stats().flushes, 1u);

  // COMMIT flushing (synchronous=FULL): nothing is left to flush after it.
  SqliteOptions in_commit{dir.file("f.db"), 1, true};
  in_commit.flush_after_commit = false;
  auto full = sqlite::SqliteStore::open(in_commit);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full.value()->writer_pragma("synchronous").value(), "2");  // 2 = FULL
  seed(*full.value());
  ASSERT_TRUE(full.value()->flush_committed().ok());
  EXPECT_EQ(full.value()->stats().flushes, 0u);

  // Durability traded away: NORMAL, and no flush at all.
  auto relaxed = sqlite::SqliteStore::open(SqliteOptions{dir.file("q.db"), 1, false});
  ASSERT_TRUE(relaxed.ok());
  EXPECT_EQ(relaxed.value()->writer_pragma("synchronous").value(), "1");  // NORMAL
  seed(*relaxed.value());
  ASSERT_TRUE(relaxed.value()->flush_committed().ok());
  EXPECT_EQ(relaxed.value()->stats().flushes, 0u);
}

TEST(SqliteStore, AReadReturnsACommitOnlyOnceAFlushCoveredIt) {
  test::TempDir dir;
  SqliteOptions options{dir.file("r.db"), 2, true};
  options.flush_after_commit = true;
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  // Committed, not flushed: nobody has asked.
  Seeded s = seed(*store);
  EXPECT_EQ(store->stats().flushes, 0u);
  // A read whose snapshot holds those commits flushes them before it returns.
  auto seen = store->conversation_for_member(s.conversation.id, s.bob.id);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->last_seq, 1);
  EXPECT_EQ(store->stats().flushes, 1u);
  // Nothing new: reads and the committer's flush find everything durable already.
  ASSERT_TRUE(store->conversation_for_member(s.conversation.id, s.bob.id).ok());
  ASSERT_TRUE(store->flush_committed().ok());
  EXPECT_EQ(store->stats().flushes, 1u);
  // One flush covers every commit that returned before it: the committer's.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                  return t.append_message(
                      new_message(s.conversation.id, s.bob.id, "b" + std::to_string(i), "text", "yo", 4));
                }).ok());
  }
  ASSERT_TRUE(store->flush_committed().ok());
  EXPECT_EQ(store->stats().flushes, 2u);
  auto after = store->conversation_for_member(s.conversation.id, s.alice.id);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->last_seq, 4);
  EXPECT_EQ(store->stats().flushes, 2u);
}

TEST(SqliteStore, CommitsAreNumberedInTheDatabaseAcrossRestarts) {
  test::TempDir dir;
  const std::string path = dir.file("n.db");
  SqliteOptions options{path, 2, true};
  options.flush_after_commit = true;
  Seeded s;
  {
    auto opened = open_sqlite_store(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    s = seed(*opened.value());
    ASSERT_TRUE(opened.value()->flush_committed().ok());
  }
  const std::string after_seed = side_query(path, "SELECT value FROM meta WHERE key = 'commit'");
  ASSERT_NE(after_seed, "0") << "every commit writes its number";
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  // Flushed at open: a read of what an earlier process committed waits for nothing.
  ASSERT_TRUE(store->conversation_for_member(s.conversation.id, s.bob.id).ok());
  EXPECT_EQ(store->stats().flushes, 0u);
  // Numbering goes on from the database's: the new commit is the next one, and a read that
  // holds it flushes it once.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                return t.append_message(new_message(s.conversation.id, s.bob.id, "n1", "text", "yo", 4));
              }).ok());
  EXPECT_EQ(side_query(path, "SELECT value FROM meta WHERE key = 'commit'"),
            std::to_string(std::stoll(after_seed) + 1));
  auto seen = store->conversation_for_member(s.conversation.id, s.bob.id);
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->last_seq, 2);
  EXPECT_EQ(store->stats().flushes, 1u);
}

TEST(SqliteStore, AConversationsHistoryWaitsOnlyForCommitsThatTouchedIt) {
  test::TempDir dir;
  SqliteOptions options{dir.file("h.db"), 2, true};
  options.flush_after_commit = true;
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  Seeded s = seed(*store);
  const UserRecord carol = in_txn(*store, [](WriteTxn& t) { return t.create_user("carol", "Carol", "hc", 1); }).value();
  const int64_t other = in_txn(*store, [&](WriteTxn& t) {
                          return t.get_or_create_direct(s.alice.id, carol.id, 2);
                        }).value().conversation.id;
  ASSERT_TRUE(store->flush_committed().ok());
  const uint64_t flushed = store->stats().flushes;
  // The page's size, and how many of its messages are hidden.
  auto page = [&](int64_t conversation) {
    auto got = store->history(s.alice.id, HistoryQuery{conversation, std::nullopt, std::nullopt, 50});
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok()) return std::pair<std::size_t, std::size_t>{};
    std::size_t hidden = 0;
    for (const MessageRecord& m : got->items) hidden += m.hidden ? 1 : 0;
    return std::pair{got->items.size(), hidden};
  };
  using Page = std::pair<std::size_t, std::size_t>;

  // A message in the first conversation, committed and not flushed: the other's history
  // does not wait for it; the first's does, and shows it.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                return t.append_message(new_message(s.conversation.id, s.bob.id, "h1", "text", "yo", 4));
              }).ok());
  EXPECT_EQ(page(other), Page(0, 0));
  EXPECT_EQ(store->stats().flushes, flushed);
  EXPECT_EQ(page(s.conversation.id), Page(2, 0));
  EXPECT_EQ(store->stats().flushes, flushed + 1);

  // A message hidden for alice (hidden_messages, keyed by conversation), then a member's
  // row changing (a receipt): each makes that conversation's history wait, not the other's.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.hide_message(s.alice.id, s.conversation.id, 1); }).ok());
  EXPECT_EQ(page(other), Page(0, 0));
  EXPECT_EQ(store->stats().flushes, flushed + 1);
  EXPECT_EQ(page(s.conversation.id), Page(2, 1));
  EXPECT_EQ(store->stats().flushes, flushed + 2);
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                return t.advance_receipt(s.conversation.id, s.alice.id, 2, 2);
              }).ok());
  EXPECT_EQ(page(other), Page(0, 0));
  EXPECT_EQ(store->stats().flushes, flushed + 2);
  EXPECT_EQ(page(s.conversation.id), Page(2, 1));
  EXPECT_EQ(store->stats().flushes, flushed + 3);

  // A change to what such reads use but is not keyed by conversation (a block) makes every
  // conversation's history wait; one to what they never read (a user's last seen), none.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_last_seen(s.bob.id, 50); }).ok());
  EXPECT_EQ(page(other), Page(0, 0));
  EXPECT_EQ(store->stats().flushes, flushed + 3);
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_block(s.alice.id, carol.id, true, 60); }).ok());
  EXPECT_EQ(page(other), Page(0, 0));
  EXPECT_EQ(store->stats().flushes, flushed + 4);
  // Every other read waits for whatever its snapshot holds, as before.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_last_seen(s.bob.id, 70); }).ok());
  ASSERT_TRUE(store->list_conversations(s.alice.id, std::nullopt, 10).ok());
  EXPECT_EQ(store->stats().flushes, flushed + 5);
}

TEST(SqliteStore, AuthenticationWaitsOnlyForCommitsThatTouchedItsUser) {
  test::TempDir dir;
  SqliteOptions options{dir.file("a.db"), 2, true};
  options.flush_after_commit = true;
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  Seeded s = seed(*store);
  const SessionRecord session = in_txn(*store, [&](WriteTxn& t) {
                                  return t.create_session(s.alice.id, "alice-token-hash", "phone", 5, 1000000);
                                }).value();
  // The new session is alice's change: looking it up waits for it.
  auto found = store->find_session_by_token_hash("alice-token-hash");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, session.id);
  const uint64_t flushed = store->stats().flushes;
  EXPECT_GE(flushed, 1u);

  // Bob's changes (his user row, his sessions, a message to him) do not hold alice's
  // authentication back; his own lookups, and a token that matches nothing, wait.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_last_seen(s.bob.id, 50); }).ok());
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                return t.create_session(s.bob.id, "bob-token-hash", "laptop", 6, 1000000);
              }).ok());
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) {
                return t.append_message(new_message(s.conversation.id, s.alice.id, "a2", "text", "yo", 7));
              }).ok());
  ASSERT_TRUE(store->find_session_by_token_hash("alice-token-hash").ok());
  auto alice = store->find_user(s.alice.id);
  ASSERT_TRUE(alice.ok() && alice->has_value());
  EXPECT_EQ(store->stats().flushes, flushed);
  auto bob = store->find_session_by_token_hash("bob-token-hash");
  ASSERT_TRUE(bob.ok() && bob->has_value());
  EXPECT_EQ(store->stats().flushes, flushed + 1);
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_last_seen(s.bob.id, 60); }).ok());
  ASSERT_TRUE(store->find_user(s.bob.id).ok());
  EXPECT_EQ(store->stats().flushes, flushed + 2);
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.set_last_seen(s.bob.id, 70); }).ok());
  auto nobody = store->find_session_by_token_hash("no-such-token-hash");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
  EXPECT_EQ(store->stats().flushes, flushed + 3);
  // Alice's session revoked: her lookup waits for it and sees it.
  ASSERT_TRUE(in_txn(*store, [&](WriteTxn& t) { return t.revoke_session(s.alice.id, session.id); }).ok());
  auto revoked = store->find_session_by_token_hash("alice-token-hash");
  ASSERT_TRUE(revoked.ok() && revoked->has_value());
  EXPECT_TRUE((*revoked)->revoked);
  EXPECT_EQ(store->stats().flushes, flushed + 4);
}

TEST(SqliteStore, StatementCacheStaysBoundedWhateverTheTexts) {
  test::TempDir dir;
  auto opened = sqlite::Db::open(dir.file("c.db"));
  ASSERT_TRUE(opened.ok());
  sqlite::Db& db = *opened.value();
  const std::size_t limit = sqlite::Db::kMaxCachedStatements;
  // Twice as many distinct texts as the cache keeps: each still runs and answers right.
  for (std::size_t i = 0; i < 2 * limit; ++i) {
    auto stmt = db.prepare("SELECT " + std::to_string(i) + " + ?");
    ASSERT_TRUE(stmt.ok()) << stmt.error().message;
    stmt->bind_all(int64_t{1});
    auto row = stmt->step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(stmt->i64(0), static_cast<int64_t>(i) + 1);
  }
  EXPECT_EQ(db.cached_statements(), limit);
  // A text cached early is still served from the cache, and runs again.
  auto again = db.prepare("SELECT 0 + ?");
  ASSERT_TRUE(again.ok());
  again->bind_all(int64_t{41});
  ASSERT_TRUE(again->step().ok());
  EXPECT_EQ(again->i64(0), 41);
  EXPECT_EQ(db.cached_statements(), limit);
}

TEST(SqliteStore, MigrationFromVersion1KeepsData) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  {
    // A database as the version-1 server left it: alice and bob, a direct conversation with
    // three messages, bob's receipt at delivered 3 / read 2.
    auto opened = sqlite::Db::open(path);
    ASSERT_TRUE(opened.ok());
    sqlite::Db& db = *opened.value();
    ASSERT_TRUE(sqlite::migrate_to(db, 1).ok());
    ASSERT_TRUE(db.exec(R"sql(
      INSERT INTO users (id, username, display_name, password_hash, created_at)
        VALUES (1, 'alice', 'Alice', 'ha', 1), (2, 'bob', 'Bob', 'hb', 1);
      INSERT INTO conversations (id, kind, direct_key, created_at, last_seq, last_activity,
                                 last_message_id, version)
        VALUES (7, 'direct', '1:2', 5, 3, 30, 103, 6);
      INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq, joined_at, version)
        VALUES (7, 1, 3, 3, 5, 4), (7, 2, 3, 2, 5, 6);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, text, ts, version)
        VALUES (101, 7, 1, 1, 'c1', 'text', 'one', 10, 2),
               (102, 7, 2, 1, 'c2', 'text', 'two', 20, 3),
               (103, 7, 3, 1, 'c3', 'text', 'three', 30, 4);
      UPDATE meta SET value = 6 WHERE key = 'version';
    )sql").ok());
    EXPECT_EQ(side_query(path, "PRAGMA user_version"), "1");
  }

  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(side_query(path, "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EXPECT_EQ(store->current_version().value(), 6);

  auto conversation = store->conversation_for_member(7, 2);
  ASSERT_TRUE(conversation.ok() && conversation->has_value());
  const ConversationRecord& c = **conversation;
  EXPECT_EQ(c.kind, "direct");
  EXPECT_EQ(c.last_seq, 3);
  EXPECT_EQ(c.last_activity, 30);
  EXPECT_EQ(c.version, 6);
  ASSERT_TRUE(c.last_message.has_value());
  EXPECT_EQ(c.last_message->text, "three");
  EXPECT_TRUE(c.name.empty());
  EXPECT_TRUE(c.description.empty());
  EXPECT_EQ(c.member_count, 2);
  EXPECT_EQ(c.min_delivered_seq, 3);
  EXPECT_EQ(c.min_read_seq, 2);
  ASSERT_EQ(c.members.size(), 2u);
  for (const MemberRecord& m : c.members) {
    EXPECT_EQ(m.role, "member");
    EXPECT_EQ(m.joined_seq, 0);
    EXPECT_FALSE(m.left_seq.has_value());
  }
  EXPECT_EQ(c.members[1].delivered_seq, 3);
  EXPECT_EQ(c.members[1].read_seq, 2);
  auto history = store->history(2, {7, std::nullopt, std::nullopt, 10});
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->items.size(), 3u);

  // Receipts from before the log existed: the send time of the newest message each
  // watermark covered stands in for the unrecorded time.
  auto receipts = store->message_receipts(7, 1, 1);
  ASSERT_TRUE(receipts.ok()) << receipts.error().message;
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ((*receipts)[0].user.id, 2);
  EXPECT_EQ((*receipts)[0].delivered_at, std::optional<int64_t>(20));
  EXPECT_EQ((*receipts)[0].read_at, std::optional<int64_t>(20));
  auto third = store->message_receipts(7, 3, 1);
  EXPECT_EQ((*third)[0].delivered_at, std::optional<int64_t>(30));
  EXPECT_FALSE((*third)[0].read_at.has_value());

  // The old data keeps working and the new features work beside it.
  auto appended = in_txn(*store, [](WriteTxn& t) {
    return t.append_message(new_message(7, 2, "b4", "text", "four", 40));
  });
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->message.seq, 4);
  EXPECT_EQ(appended->message.version, 7);
  auto group = in_txn(*store, [](WriteTxn& t) { return t.create_group(1, "After", "", 50); });
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->members[0].role, "admin");
}

TEST(SqliteStore, MigrationFromVersion2KeepsData) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  {
    // A database as the version-2 server left it: alice, bob and carol; a direct
    // conversation of alice and bob; a group of the three in which carol left after seq 1.
    auto opened = sqlite::Db::open(path);
    ASSERT_TRUE(opened.ok());
    sqlite::Db& db = *opened.value();
    ASSERT_TRUE(sqlite::migrate_to(db, 2).ok());
    ASSERT_TRUE(db.exec(R"sql(
      INSERT INTO users (id, username, display_name, password_hash, created_at)
        VALUES (1, 'alice', 'Alice', 'ha', 1), (2, 'bob', 'Bob', 'hb', 1),
               (3, 'carol', 'Carol', 'hc', 1);
      INSERT INTO conversations (id, kind, direct_key, created_at, last_seq, last_activity,
                                 last_message_id, version, name, description)
        VALUES (7, 'direct', '1:2', 5, 1, 10, 101, 3, '', ''),
               (8, 'group', NULL, 6, 2, 30, 103, 9, 'Team', 'About');
      INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq, joined_at,
                           version, role, joined_seq, left_seq)
        VALUES (7, 1, 1, 1, 5, 3, 'member', 0, NULL), (7, 2, 0, 0, 5, 2, 'member', 0, NULL),
               (8, 1, 2, 2, 6, 8, 'admin', 0, NULL), (8, 2, 2, 1, 6, 9, 'member', 0, NULL),
               (8, 3, 1, 1, 6, 7, 'member', 0, 1);
      INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, kind, text, ts, version)
        VALUES (101, 7, 1, 1, 'c1', 'text', 'hi bob', 10, 3),
               (102, 8, 1, 1, 'g1', 'text', 'hi all', 20, 5),
               (103, 8, 2, 1, 'g2', 'text', 'carol left', 30, 8);
      INSERT INTO receipt_log (conversation_id, user_id, delivered_seq, read_seq, ts)
        VALUES (8, 2, 2, 1, 35), (8, 3, 1, 1, 25);
      UPDATE meta SET value = 9 WHERE key = 'version';
    )sql").ok());
    EXPECT_EQ(side_query(path, "PRAGMA user_version"), "2");
  }

  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(side_query(path, "PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EXPECT_EQ(side_query(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
                             " ('contacts', 'contacts_by_contact', 'blocks', 'blocks_by_blocked',"
                             " 'members_active_by_user')"),
            "5");
  EXPECT_EQ(store->current_version().value(), 9);

  // The group and its history are as they were, for those in it and for carol who left.
  auto group = store->conversation_for_member(8, 1);
  ASSERT_TRUE(group.ok() && group->has_value());
  EXPECT_EQ((*group)->name, "Team");
  EXPECT_EQ((*group)->last_seq, 2);
  EXPECT_EQ((*group)->member_count, 2);
  EXPECT_EQ((*group)->min_read_seq, 1);
  auto left = store->conversation_for_member(8, 3);
  ASSERT_TRUE(left.ok() && left->has_value());
  EXPECT_EQ((*left)->last_seq, 1);
  EXPECT_EQ((*left)->version, 7);
  EXPECT_EQ(store->history(3, {8, std::nullopt, std::nullopt, 10})->items.size(), 1u);
  auto receipts = store->message_receipts(8, 2, 1);
  ASSERT_TRUE(receipts.ok());
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ((*receipts)[0].delivered_at, std::optional<int64_t>(35));

  // Existing users start with no last-seen, not hidden, no contacts and no blocks.
  auto presence = store->presence({1, 2, 3});
  ASSERT_TRUE(presence.ok());
  ASSERT_EQ(presence->size(), 3u);
  for (const PresenceRecord& p : *presence) {
    EXPECT_FALSE(p.last_seen_at.has_value());
    EXPECT_FALSE(p.hide_last_seen);
  }
  EXPECT_TRUE(store->contacts(1)->empty());
  EXPECT_TRUE(store->blocked_users(1)->empty());
  // ... and anyone may add them to groups, as before the setting existed.
  EXPECT_EQ(store->privacy_settings(1).value()->groups_add, "everyone");
  ASSERT_EQ(store->search_users("ca", 5)->size(), 1u);

  // The old memberships drive presence: carol left the only conversation she shared.
  auto audience = store->presence_audience(1, {2, 3});
  ASSERT_TRUE(audience.ok());
  EXPECT_EQ(*audience, (std::vector<int64_t>{2}));

  // The new features work on the old rows, and none of them moves the version.
  ASSERT_TRUE(in_txn(*store, [](WriteTxn& t) { return t.upsert_contact(1, 3, "Caz", 40); }).ok());
  ASSERT_TRUE(in_txn(*store, [](WriteTxn& t) { return t.upsert_contact(3, 1, "", 40); }).ok());
  ASSERT_TRUE(in_txn(*store, [](WriteTxn& t) { return t.set_block(2, 1, true, 41); }).ok());
  ASSERT_TRUE(in_txn(*store, [](WriteTxn& t) { return t.set_last_seen(3, 42); }).ok());
  EXPECT_TRUE(in_txn(*store, [](WriteTxn& t) { return t.blocked_in_direct(7, 1); }).value());
  EXPECT_EQ(*store->presence_audience(1, {2, 3}), (std::vector<int64_t>{3}));
  EXPECT_EQ(store->contacts(1)->front().nickname, "Caz");
  EXPECT_EQ(store->presence({3})->front().last_seen_at, std::optional<int64_t>(42));
  EXPECT_EQ(store->current_version().value(), 9);
  auto appended = in_txn(*store, [](WriteTxn& t) {
    return t.append_message(new_message(8, 2, "b3", "text", "three", 50));
  });
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->message.seq, 3);
  EXPECT_EQ(appended->message.version, 10);
}

TEST(SqliteStore, StorageFailureRollsBackWholeBatchAndRestoresVersion) {
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  auto store = open_or_fail(path);
  ASSERT_NE(store, nullptr);
  Seeded s = seed(*store);
  const int64_t committed = store->current_version().value();
  // Another connection plants a trigger that makes one particular insert fail inside
  // SQLite, standing in for a disk error in the middle of a batch.
  side_query(path,
             "CREATE TRIGGER explode BEFORE INSERT ON messages WHEN NEW.text = 'boom'"
             " BEGIN SELECT RAISE(ABORT, 'simulated storage failure'); END");

  std::vector<bool> ok;
  std::optional<Error> second_error;
  std::optional<Error> after_error;
  Status status = write_batch(
      *store,
      {[&](WriteTxn& t) { ok.push_back(t.append_message(new_message(s.conversation.id, s.bob.id, "b1", "text", "fine", 5)).ok()); },
       [&](WriteTxn& t) {
         auto r = t.append_message(new_message(s.conversation.id, s.alice.id, "a2", "text", "boom", 6));
         ok.push_back(r.ok());
         if (!r.ok()) second_error = r.error();
       },
       [&](WriteTxn& t) {
         auto r = t.create_user("carol", "Carol", "hc", 7);
         ok.push_back(r.ok());
         if (!r.ok()) after_error = r.error();
       }});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::kInternal);
  EXPECT_NE(status.error().message.find("simulated storage failure"), std::string::npos);
  EXPECT_EQ(ok, (std::vector<bool>{true, false, false}));
  ASSERT_TRUE(second_error.has_value());
  EXPECT_EQ(second_error->code, Errc::kInternal);
  ASSERT_TRUE(after_error.has_value());
  EXPECT_EQ(after_error->code, Errc::kInternal);  // refused, not attempted

  // Nothing of the batch is stored, including the op that succeeded before the failure.
  EXPECT_EQ(store->current_version().value(), committed);
  EXPECT_FALSE(store->find_user_by_name("carol")->has_value());
  auto conversation = store->conversation_for_member(s.conversation.id, s.bob.id);
  EXPECT_EQ((*conversation)->last_seq, 1);

  // The next batch takes the version right after the last committed one.
  auto next = in_txn(*store, [&](WriteTxn& t) {
    return t.append_message(new_message(s.conversation.id, s.bob.id, "b1", "text", "fine", 8));
  });
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->message.seq, 2);
  EXPECT_EQ(next->message.version, committed + 1);
  EXPECT_EQ(store->current_version().value(), committed + 1);
}

TEST(SqliteStore, ThrowingOpFailsItsBatch) {
  test::TempDir dir;
  auto store = open_or_fail(dir.file("p.db"));
  ASSERT_NE(store, nullptr);
  Seeded s = seed(*store);
  const int64_t committed = store->current_version().value();
  Status status = write_batch(
      *store, {[&](WriteTxn& t) { (void)t.append_message(new_message(s.conversation.id, s.bob.id, "b1", "text", "x", 5)); },
               [&](WriteTxn&) { throw std::runtime_error("bug in an op"); }});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("bug in an op"), std::string::npos);
  EXPECT_EQ(store->current_version().value(), committed);
  EXPECT_EQ((*store->conversation_for_member(s.conversation.id, s.bob.id).value()).last_seq, 1);
}

off_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

TEST(SqliteStore, CheckpointerKeepsTheWalBounded) {
  // Commits never checkpoint on their own; the background checkpointer does the copying,
  // and the writer starts the WAL over whenever it has grown past the limit. The file is
  // reused, not truncated: it only shrinks back to the limit when it grew past it.
  test::TempDir dir;
  const std::string path = dir.file("p.db");
  SqliteOptions options{path, 1, true};
  options.checkpoint_pages = 64;
  options.wal_limit_bytes = 512 << 10;
  auto opened = sqlite::SqliteStore::open(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  sqlite::SqliteStore& store = *opened.value();
  Seeded s = seed(store);
  const int64_t first_seq = store.conversation_for_member(s.conversation.id, s.bob.id)
                                .value()
                                ->last_seq;

  const std::string text(4096, 'x');
  constexpr int kBatches = 400;
  constexpr int kPerBatch = 5;  // ~8 MB of messages in all
  off_t largest_wal = 0;
  off_t wal = 0;
  int shrunk_below_limit = 0;
  int n = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::function<void(WriteTxn&)>> ops;
    for (int i = 0; i < kPerBatch; ++i) {
      const std::string client_id = "m" + std::to_string(n++);
      ops.push_back([&, client_id](WriteTxn& t) {
        ASSERT_TRUE(t.append_message(new_message(s.conversation.id, s.alice.id, client_id, "text", text, 9)).ok());
      });
    }
    ASSERT_TRUE(write_batch(store, std::move(ops)).ok());
    const off_t now = file_size(path + "-wal");
    if (now < wal && now < options.wal_limit_bytes) ++shrunk_below_limit;
    wal = now;
    largest_wal = std::max(largest_wal, now);
  }
  EXPECT_EQ(shrunk_below_limit, 0) << "the WAL was truncated instead of reused";
  EXPECT_EQ(store.writer_pragma("journal_size_limit").value(), std::to_string(512 << 10));
  EXPECT_GT(store.checkpoints_run(), 0u);
  EXPECT_GT(store.wal_restarts(), 0u);  // this loop outruns the background copy
  EXPECT_LT(largest_wal, off_t{4} << 20) << "the WAL grew with the data";
  auto conversation = store.conversation_for_member(s.conversation.id, s.bob.id);
  ASSERT_TRUE(conversation.ok());
  EXPECT_EQ((*conversation)->last_seq, first_seq + kBatches * kPerBatch);
  EXPECT_EQ(side_query(path, "PRAGMA integrity_check"), "ok");
}

// WalFlush on a real WAL, with the writer's counting done by hand.
class WalFlushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(dir_.file("w.db").c_str(), &db_), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db_, "PRAGMA journal_mode = WAL; CREATE TABLE t(x)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    auto opened = sqlite::WalFlush::open(db_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    flush_ = std::move(opened).value();
  }
  void TearDown() override {
    flush_.reset();
    sqlite3_close(db_);
  }
  void commit() {
    flush_->commit_starting();
    ASSERT_EQ(sqlite3_exec(db_, "INSERT INTO t VALUES (1)", nullptr, nullptr, nullptr), SQLITE_OK);
    flush_->commit_returned();
  }

  test::TempDir dir_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite::WalFlush> flush_;
};

TEST_F(WalFlushTest, OneFlushCoversEveryCommitThatReturnedAndNoneIsRepeated) {
  EXPECT_TRUE(flush_->wait_durable(flush_->visible_bound()).ok());
  EXPECT_EQ(flush_->flushes(), 0u) << "nothing committed, nothing to flush";
  for (int i = 0; i < 3; ++i) commit();
  EXPECT_EQ(flush_->visible_bound(), 3u);
  ASSERT_TRUE(flush_->flush_returned().ok());
  EXPECT_EQ(flush_->flushes(), 1u);
  ASSERT_TRUE(flush_->wait_durable(3).ok());
  ASSERT_TRUE(flush_->wait_durable(1).ok());
  ASSERT_TRUE(flush_->flush_returned().ok());
  EXPECT_EQ(flush_->flushes(), 1u);
}

TEST_F(WalFlushTest, AWaitForACommitStillInCommitEndsOnceItReturnedAndWasFlushed) {
  commit();
  flush_->commit_starting();  // a COMMIT under way: a snapshot may already hold it
  const uint64_t bound = flush_->visible_bound();
  ASSERT_EQ(bound, 2u);
  std::promise<Status> waited;
  std::thread reader([&] { waited.set_value(flush_->wait_durable(bound)); });
  ASSERT_EQ(sqlite3_exec(db_, "INSERT INTO t VALUES (2)", nullptr, nullptr, nullptr), SQLITE_OK);
  flush_->commit_returned();
  auto result = waited.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(result.get().ok());
  reader.join();
  EXPECT_GE(flush_->flushes(), 1u);
  ASSERT_TRUE(flush_->flush_returned().ok());  // covered already
  EXPECT_LE(flush_->flushes(), 2u);
}

TEST_F(WalFlushTest, NumbersStartFromTheDatabasesAndASnapshotWaitsOnlyForWhatItHolds) {
  flush_.reset();
  auto opened = sqlite::WalFlush::open(db_, 41);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  flush_ = std::move(opened).value();
  EXPECT_EQ(flush_->next_commit(), 42u);
  ASSERT_TRUE(flush_->wait_durable(41).ok());
  EXPECT_EQ(flush_->flushes(), 0u) << "the commits before open count as durable";
  commit();
  EXPECT_EQ(flush_->next_commit(), 43u);
  flush_->commit_starting();  // commit 43 under way; a snapshot holding up to 42 does not wait
  ASSERT_TRUE(flush_->wait_durable(42).ok());
  EXPECT_EQ(flush_->flushes(), 1u);
  ASSERT_EQ(sqlite3_exec(db_, "INSERT INTO t VALUES (3)", nullptr, nullptr, nullptr), SQLITE_OK);
  flush_->commit_returned();
  ASSERT_TRUE(flush_->wait_durable(43).ok());
  EXPECT_EQ(flush_->flushes(), 2u);
}

TEST_F(WalFlushTest, ReadersAndAFinisherFlushingWhileTheWriterCommitsAllReturn) {
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) commit();
    writing = false;
  });
  std::vector<std::thread> waiters;
  std::atomic<int> failures{0};
  std::atomic<uint64_t> waits{0};
  for (int r = 0; r < 4; ++r) {
    waiters.emplace_back([&, r] {
      while (writing) {
        const Status s = r == 0 ? flush_->flush_returned() : flush_->wait_durable(flush_->visible_bound());
        if (!s.ok()) ++failures;
        ++waits;
      }
    });
  }
  writer.join();
  for (auto& w : waiters) w.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(flush_->wait_durable(300).ok());
  EXPECT_LE(flush_->flushes(), waits.load() + 1) << "a flush per wait at most";
}

}  // namespace
}  // namespace parley::store
