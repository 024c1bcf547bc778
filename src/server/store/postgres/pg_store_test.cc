// What only the PostgreSQL store promises beyond the conformance suite: several stores
// (several parleyd processes) writing one database at once, and surviving the server
// ending its sessions. Runs on the test PostgreSQL (test_postgres.h).
#include "server/store/postgres/pg_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/store/postgres/conn.h"
#include "server/store/postgres/migrations.h"
#include "server/store/postgres/test_postgres.h"
#include "server/store/store_test_support.h"

namespace parley::store {
namespace {

using test::in_txn;

TEST(PgPlaceholders, QuestionMarksBecomeNumberedParametersOutsideQuotes) {
  EXPECT_EQ(pg::rewrite_placeholders("a = ? AND b = ? AND c = '?' AND d = \"?x\""),
            "a = $1 AND b = $2 AND c = '?' AND d = \"?x\"");
  EXPECT_EQ(pg::rewrite_placeholders("x = ?2 OR y = ?1 OR z = ?"), "x = $2 OR y = $1 OR z = $3");
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test::TestPostgres::instance();
    ASSERT_TRUE(server.ok()) << server.error().message;
    auto uri = (*server)->create_database();
    ASSERT_TRUE(uri.ok()) << uri.error().message;
    uri_ = *uri;
  }

  std::unique_ptr<Store> open() {
    auto opened = open_pg_store(PgOptions{uri_, 2});
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::string uri_;
};

TEST_F(PgStoreTest, DeferredStatementsRunBeforeTheNextStatementAndReportTheirFailure) {
  auto conn = pg::Conn::open(uri_);
  ASSERT_TRUE(conn.ok());
  pg::Conn& c = **conn;
  ASSERT_TRUE(c.exec("BEGIN").ok());
  c.defer("SAVEPOINT a");
  auto one = c.prepare("SELECT ?::BIGINT + 1");
  ASSERT_TRUE(one.ok());
  one->bind_all(int64_t{41});
  ASSERT_TRUE(one->step().value());
  EXPECT_EQ(one->i64(0), 42) << "the statement sent with the deferred one answers";
  EXPECT_TRUE(c.exec("ROLLBACK TO SAVEPOINT a").ok()) << "the deferred savepoint exists";

  c.defer("RELEASE SAVEPOINT no_such_savepoint");
  auto two = c.prepare("SELECT 2");
  ASSERT_TRUE(two.ok());
  auto failed = two->step();
  ASSERT_FALSE(failed.ok()) << "a failed deferred statement fails the one sent with it";
  EXPECT_NE(failed.error().message.find("no_such_savepoint"), std::string::npos);
  c.discard_deferred();
  EXPECT_TRUE(c.exec("ROLLBACK").ok());
  EXPECT_FALSE(c.in_transaction());
}

TEST_F(PgStoreTest, StoresStartingTogetherOnAnEmptyDatabaseMigrateItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (open_pg_store(PgOptions{uri_, 1}).ok()) ++opened;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4);
  auto conn = pg::Conn::open(uri_);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->query_text("SELECT number FROM schema_version").value(),
            std::to_string(pg::latest_schema_version()));
  EXPECT_EQ((*conn)->query_text("SELECT count(*) FROM schema_version").value(), "1");
}

// Two stores on one database, each with its own writer thread, and a reader syncing from
// cursors the way a device does. Whatever the interleaving: seqs gap-free, versions in
// seq order, a resend through the other store is a duplicate, and the reader sees every
// message exactly once, in order (no change commits behind its cursor).
TEST_F(PgStoreTest, TwoStoresWritingOneDatabaseKeepSeqVersionAndCursorContracts) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  auto alice = in_txn(*a, [](WriteTxn& t) { return t.create_user("alice", "A", "h", 1); }).value();
  auto bob = in_txn(*b, [](WriteTxn& t) { return t.create_user("bob", "B", "h", 1); }).value();
  auto conv = in_txn(*a, [&](WriteTxn& t) { return t.get_or_create_direct(alice.id, bob.id, 2); })
                  .value()
                  .conversation;
  constexpr int kPerWriter = 150;
  std::atomic<bool> writing{true};
  auto writer = [&](Store& store, int64_t sender, const std::string& prefix) {
    for (int i = 0; i < kPerWriter; i += 3) {
      // Batches of three, as group commit makes them.
      std::vector<std::function<void(WriteTxn&)>> ops;
      for (int k = i; k < i + 3; ++k) {
        ops.push_back([&, k](WriteTxn& t) {
          auto r = t.append_message(
              NewMessage{conv.id, sender, prefix + std::to_string(k), "text", "m", 10, "", ""});
          EXPECT_TRUE(r.ok());
        });
      }
      EXPECT_TRUE(test::write_batch(store, std::move(ops)).ok());
    }
  };

  std::vector<int64_t> seen;
  int duplicates = 0;
  int reordered = 0;
  auto read_once = [&](int64_t& cursor, int64_t& change_cursor) {
    auto sync = a->changes_since(bob.id, cursor, 100);
    ASSERT_TRUE(sync.ok());
    for (const auto& c : sync->conversations) {
      for (;;) {
        auto page = b->message_changes(bob.id, c.id, change_cursor, 50);
        ASSERT_TRUE(page.ok());
        for (const auto& m : page->items) {
          if (std::find(seen.begin(), seen.end(), m.seq) != seen.end()) {
            ++duplicates;
          } else {
            if (!seen.empty() && m.seq < seen.back()) ++reordered;
            seen.push_back(m.seq);
          }
          change_cursor = std::max(change_cursor, m.version);
        }
        if (!page->has_more) break;
      }
    }
    if (!sync->has_more) cursor = sync->version;
  };
  std::thread reader([&] {
    int64_t cursor = 0, change_cursor = 0;
    while (writing.load()) read_once(cursor, change_cursor);
    read_once(cursor, change_cursor);
    read_once(cursor, change_cursor);
  });
  std::thread wa([&] { writer(*a, alice.id, "a"); });
  std::thread wb([&] { writer(*b, bob.id, "b"); });
  wa.join();
  wb.join();
  writing = false;
  reader.join();

  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(reordered, 0);
  EXPECT_EQ(seen.size(), 2u * kPerWriter) << "missing: " << 2 * kPerWriter - seen.size();
  auto all = b->history(alice.id, HistoryQuery{conv.id, std::nullopt, 0, 200});
  ASSERT_TRUE(all.ok());
  auto rest = b->history(alice.id, HistoryQuery{conv.id, std::nullopt, 200, 200});
  ASSERT_TRUE(rest.ok());
  std::vector<MessageRecord> messages = all->items;
  messages.insert(messages.end(), rest->items.begin(), rest->items.end());
  ASSERT_EQ(messages.size(), 2u * kPerWriter);
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].seq, static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_GT(messages[i].version, messages[i - 1].version) << "versions in seq order";
    }
  }
  // A resend through the other store is recognised.
  auto again = in_txn(*b, [&](WriteTxn& t) {
    return t.append_message(NewMessage{conv.id, alice.id, "a7", "text", "retry", 99, "", ""});
  });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.text, "m");
}

TEST_F(PgStoreTest, WritesAndReadsCarryOnAfterTheServerEndsEverySession) {
  auto store = open();
  ASSERT_TRUE(store);
  auto alice = in_txn(*store, [](WriteTxn& t) { return t.create_user("alice", "A", "h", 1); });
  ASSERT_TRUE(alice.ok());
  // What a server restart or a failover does to every connection.
  auto admin = pg::Conn::open((*test::TestPostgres::instance())->admin_uri());
  ASSERT_TRUE(admin.ok());
  auto database = uri_.substr(uri_.rfind('/') + 1);
  ASSERT_TRUE((*admin)
                  ->query_text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                               " WHERE datname = '" +
                               database + "'")
                  .ok());
  auto found = store->find_user(alice->id);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(found->has_value());
  auto bob = in_txn(*store, [](WriteTxn& t) { return t.create_user("bob", "B", "h", 1); });
  EXPECT_TRUE(bob.ok());
}

// An erase schedules a purge that rewrites the messages table (new files: the old ones,
// with the dead row version, are deleted) and is reported in stats() until it completed.
// Content columns take no statistics samples, so ANALYZE copies no text into pg_statistic.
TEST_F(PgStoreTest, EraseIsPurgedByRewritingTheTableAndContentIsNeverSampled) {
  PgOptions options{uri_, 1};
  options.erase_purge_delay_ms = 50;
  auto opened = open_pg_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  Store& store = **opened;
  auto alice = in_txn(store, [](WriteTxn& t) { return t.create_user("alice", "A", "h", 1); });
  auto bob = in_txn(store, [](WriteTxn& t) { return t.create_user("bob", "B", "h", 1); });
  ASSERT_TRUE(alice.ok() && bob.ok());
  auto conv = in_txn(store, [&](WriteTxn& t) { return t.get_or_create_direct(alice->id, bob->id, 2); });
  ASSERT_TRUE(conv.ok());
  const int64_t conv_id = conv->conversation.id;
  for (int i = 0; i < 20; ++i) {
    auto sent = in_txn(store, [&](WriteTxn& t) {
      return t.append_message(NewMessage{conv_id, alice->id, "c" + std::to_string(i), "text",
                                         "walrus number " + std::to_string(i), 10, "", ""});
    });
    ASSERT_TRUE(sent.ok()) << sent.error().message;
  }
  auto conn = pg::Conn::open(uri_);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->exec("ANALYZE messages").ok());
  auto sampled = (*conn)->query_text(
      "SELECT count(*) FROM pg_stats WHERE tablename = 'messages'"
      " AND attname IN ('text', 'attachment', 'search')");
  ASSERT_TRUE(sampled.ok());
  EXPECT_EQ(*sampled, "0");
  auto sampled_ids = (*conn)->query_text(
      "SELECT count(*) FROM pg_stats WHERE tablename = 'messages' AND attname = 'seq'");
  ASSERT_TRUE(sampled_ids.ok());
  EXPECT_EQ(*sampled_ids, "1") << "other columns keep their statistics";

  auto file_before = (*conn)->query_text("SELECT pg_relation_filenode('messages')");
  ASSERT_TRUE(file_before.ok());
  EXPECT_EQ(store.stats().erase_purges, 0u);
  EXPECT_FALSE(store.stats().erase_pending);
  auto erased = in_txn(store, [&](WriteTxn& t) { return t.erase_message(conv_id, 3, 20); });
  ASSERT_TRUE(erased.ok()) << erased.error().message;
  // Pending from the commit until its purge completed. The purge is not timed here: the
  // wait ends when the store reports it (or the test runner's timeout).
  const bool pending_seen = store.stats().erase_pending || store.stats().erase_purges > 0;
  EXPECT_TRUE(pending_seen);
  while (store.stats().erase_purges == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(store.stats().erase_purges, 1u);
  EXPECT_FALSE(store.stats().erase_pending);
  auto file_after = (*conn)->query_text("SELECT pg_relation_filenode('messages')");
  ASSERT_TRUE(file_after.ok());
  EXPECT_NE(*file_after, *file_before) << "the table was rewritten into new files";

  // A write without an erase schedules nothing.
  auto sent = in_txn(store, [&](WriteTxn& t) {
    return t.append_message(NewMessage{conv_id, alice->id, "late", "text", "x", 30, "", ""});
  });
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(store.stats().erase_pending);
  auto history = store.history(bob->id, HistoryQuery{conv_id, std::nullopt, std::nullopt, 50});
  ASSERT_TRUE(history.ok()) << history.error().message;
  EXPECT_EQ(history->items.size(), 21u);
}

}  // namespace
}  // namespace parley::store
