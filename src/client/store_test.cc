#include "client/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <sqlite3.h>

namespace parley::client {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-store-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    store_ = open();
    ASSERT_TRUE(store_->set_setting("me", "1").ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> open() {
    auto s = Store::open((dir_ / "client.db").string());
    EXPECT_TRUE(s.ok());
    return std::move(s.value());
  }
  void add_chat(int64_t id, int64_t last_activity, int64_t last_seq = 0, int64_t read_seq = 0) {
    Chat c;
    c.id = id;
    c.kind = "direct";
    c.title = "chat " + std::to_string(id);
    c.last_activity = last_activity;
    c.last_seq = last_seq;
    c.read_seq = read_seq;
    ASSERT_TRUE(store_->put_chat(c).ok());
  }
  Message msg(int64_t chat, int64_t seq, int64_t sender, std::string text, std::string client_id = "") {
    Message m;
    m.chat_id = chat;
    m.seq = seq;
    m.id = chat * 1000 + seq;
    m.sender_id = sender;
    m.client_id = client_id.empty() ? "c" + std::to_string(m.id) : client_id;
    m.kind = "text";
    m.text = std::move(text);
    m.ts = 1000 + seq;
    m.version = seq;
    return m;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ChatsAreListedByMostRecentActivityWithUnreadCounts) {
  add_chat(1, 100, 5, 2);
  add_chat(2, 300, 1, 1);
  add_chat(3, 200, 0, 0);
  auto chats = store_->chats(10);
  ASSERT_EQ(chats.size(), 3u);
  EXPECT_EQ(chats[0].id, 2);
  EXPECT_EQ(chats[1].id, 3);
  EXPECT_EQ(chats[2].id, 1);
  EXPECT_EQ(chats[2].unread, 3);
  EXPECT_EQ(chats[0].unread, 0);
}

TEST_F(StoreTest, AMessageQueuedOfflineMovesItsChatToTheTop) {
  add_chat(1, 100);
  add_chat(2, 300);
  ASSERT_TRUE(store_->enqueue(1, "q1", "hello", 500).ok());
  auto chats = store_->chats(10);
  EXPECT_EQ(chats[0].id, 1);
  EXPECT_EQ(chats[0].pending, 1);
}

TEST_F(StoreTest, ReadingLocallyLowersUnreadAndIsRememberedUntilSent) {
  add_chat(1, 100, 10, 4);
  ASSERT_TRUE(store_->mark_read_locally(1, 8).ok());
  EXPECT_EQ(store_->chat(1)->unread, 2);
  ASSERT_EQ(store_->unsent_reads().size(), 1u);
  EXPECT_EQ(store_->unsent_reads()[0].local_read_seq, 8);
  ASSERT_TRUE(store_->mark_read_locally(1, 3).ok());  // never moves back
  EXPECT_EQ(store_->chat(1)->local_read_seq, 8);
  EXPECT_EQ(store_->mark_read_locally(99, 1).error().code, Errc::kNotFound);
}

TEST_F(StoreTest, TheOutboxKeepsItsOrderAcrossReopening) {
  add_chat(1, 100);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->enqueue(1, "id" + std::to_string(i), "m" + std::to_string(i), 10 + i).ok());
  }
  store_ = open();
  auto entries = store_->sendable();
  ASSERT_EQ(entries.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(entries[i].client_id, "id" + std::to_string(i));
}

TEST_F(StoreTest, AnAcknowledgedOwnMessageLeavesTheOutbox) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->enqueue(1, "mine", "hi", 10).ok());
  auto put = store_->put_message(msg(1, 1, 1, "hi", "mine"));
  ASSERT_TRUE(put.ok());
  EXPECT_TRUE(*put);
  EXPECT_TRUE(store_->sendable().empty());
  EXPECT_EQ(store_->chat(1)->last_seq, 1);
}

TEST_F(StoreTest, AnOwnMessageIsNeverUnread) {
  add_chat(1, 100, 3, 1);
  ASSERT_TRUE(store_->put_message(msg(1, 4, 1, "mine")).ok());
  EXPECT_EQ(store_->chat(1)->unread, 0);
  ASSERT_TRUE(store_->put_message(msg(1, 5, 2, "theirs")).ok());
  EXPECT_EQ(store_->chat(1)->unread, 1);
}

TEST_F(StoreTest, SomeoneElsesMessageWithTheSameClientIdLeavesTheOutboxAlone) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->enqueue(1, "same", "hi", 10).ok());
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "theirs", "same")).ok());
  EXPECT_EQ(store_->sendable().size(), 1u);
}

TEST_F(StoreTest, StoringTheSameMessageTwiceIsIdempotentAndNewerVersionsWin) {
  add_chat(1, 100);
  EXPECT_TRUE(*store_->put_message(msg(1, 1, 2, "first")));
  Message edited = msg(1, 1, 2, "edited");
  edited.version = 9;
  EXPECT_FALSE(*store_->put_message(edited));
  Message stale = msg(1, 1, 2, "stale");
  stale.version = 3;
  EXPECT_FALSE(*store_->put_message(stale));
  EXPECT_EQ(store_->message(1, 1)->text, "edited");
}

TEST_F(StoreTest, APhotoInTheOutboxKeepsItsMediaIdAndCaption) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->enqueue(1, "p", "caption", 10, "0123456789abcdef0123456789abcdef").ok());
  store_ = open();
  auto e = store_->outbox_entry("p");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->media_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(e->text, "caption");
}

TEST_F(StoreTest, APhotoMessageKeepsItsImageObject) {
  add_chat(1, 100);
  Message m = msg(1, 1, 2, "look");
  m.kind = "image";
  m.image = R"({"media_id":"ab","width":4})";
  ASSERT_TRUE(store_->put_message(m).ok());
  EXPECT_EQ(store_->message(1, 1)->image, m.image);
  EXPECT_EQ(store_->search("look", 0, 5).at(0).message.image, m.image);
}

TEST_F(StoreTest, FailedEntriesAreNotSentUntilRetried) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->enqueue(1, "a", "x", 10).ok());
  EXPECT_EQ(*store_->count_attempt("a"), 1);
  ASSERT_TRUE(store_->fail("a", "forbidden").ok());
  EXPECT_TRUE(store_->sendable().empty());
  EXPECT_EQ(store_->outbox(1)[0].error, "forbidden");
  ASSERT_TRUE(store_->retry("a").ok());
  ASSERT_EQ(store_->sendable().size(), 1u);
  EXPECT_EQ(store_->sendable()[0].attempts, 0);
  EXPECT_EQ(store_->retry("nope").error().code, Errc::kNotFound);
}

TEST_F(StoreTest, SearchFindsWordsIgnoringCaseAndAccentsWithTheLastWordAsAPrefix) {
  add_chat(1, 100);
  add_chat(2, 100);
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "Meet at the Café tonight")).ok());
  ASSERT_TRUE(store_->put_message(msg(1, 2, 2, "pizza or pasta?")).ok());
  ASSERT_TRUE(store_->put_message(msg(2, 1, 2, "pizza again")).ok());
  EXPECT_EQ(store_->search("cafe", 0, 10).size(), 1u);
  EXPECT_EQ(store_->search("piz", 0, 10).size(), 2u);
  EXPECT_EQ(store_->search("piz", 2, 10).size(), 1u);
  EXPECT_EQ(store_->search("pizza tonight", 0, 10).size(), 0u);
  auto hits = store_->search("tonight", 0, 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NE(hits[0].snippet.find("[tonight]"), std::string::npos);
}

TEST_F(StoreTest, SearchTreatsOperatorsAndQuotesAsText) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "cats OR dogs \"quoted\"")).ok());
  EXPECT_EQ(store_->search("OR", 0, 10).size(), 1u);
  EXPECT_EQ(store_->search("\"quoted", 0, 10).size(), 1u);
  EXPECT_TRUE(store_->search("   ", 0, 10).empty());
}

TEST_F(StoreTest, DeletedAndEditedMessagesLeaveTheSearchIndex) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "secret plan")).ok());
  Message deleted = msg(1, 1, 2, "");
  deleted.deleted = true;
  deleted.version = 5;
  ASSERT_TRUE(store_->put_message(deleted).ok());
  EXPECT_TRUE(store_->search("secret", 0, 10).empty());
}

TEST_F(StoreTest, AnEditReplacesTheIndexedWords) {
  add_chat(1, 100);
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "meet at noon")).ok());
  Message edited = msg(1, 1, 2, "meet at midnight");
  edited.version = 4;
  edited.edited_at = 2000;
  ASSERT_TRUE(store_->put_message(edited).ok());
  EXPECT_TRUE(store_->search("noon", 0, 10).empty());
  ASSERT_EQ(store_->search("midnight", 0, 10).size(), 1u);
  EXPECT_EQ(store_->search("meet", 0, 10).size(), 1u);
  // The same version again (a repeated event) changes nothing and keeps one index entry.
  ASSERT_TRUE(store_->put_message(edited).ok());
  EXPECT_EQ(store_->search("meet", 0, 10).size(), 1u);
}

TEST_F(StoreTest, SearchListsTheNewestMatchesFirst) {
  add_chat(1, 100);
  add_chat(2, 100);
  ASSERT_TRUE(store_->put_message(msg(1, 1, 2, "lunch?")).ok());
  ASSERT_TRUE(store_->put_message(msg(2, 5, 2, "lunch tomorrow")).ok());
  ASSERT_TRUE(store_->put_message(msg(1, 3, 2, "lunch was great")).ok());
  auto hits = store_->search("lunch", 0, 10);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].message.ts, 1005);
  EXPECT_EQ(hits[1].message.ts, 1003);
  EXPECT_EQ(hits[2].message.ts, 1001);
  EXPECT_EQ(store_->search("lunch", 0, 2).size(), 2u);
}

TEST_F(StoreTest, TheThumbnailCacheKeepsTheMostRecentlyUsedWithinItsBound) {
  const std::string a(100, 'a'), b(100, 'b'), c(100, 'c');
  ASSERT_TRUE(store_->put_thumbnail("a", a, 1, 250).ok());
  ASSERT_TRUE(store_->put_thumbnail("b", b, 2, 250).ok());
  EXPECT_EQ(store_->thumbnail("a", 3), a);  // a is now more recent than b
  ASSERT_TRUE(store_->put_thumbnail("c", c, 4, 250).ok());
  EXPECT_FALSE(store_->thumbnail("b", 5));
  EXPECT_EQ(store_->thumbnail("a", 6), a);
  EXPECT_EQ(store_->thumbnail("c", 7), c);
  // One bigger than the whole bound stays, alone.
  ASSERT_TRUE(store_->put_thumbnail("d", std::string(1000, 'd'), 8, 250).ok());
  EXPECT_FALSE(store_->thumbnail("a", 9));
  EXPECT_FALSE(store_->thumbnail("c", 10));
  EXPECT_EQ(store_->thumbnail("d", 11)->size(), 1000u);
  // Bytes, not text: a NUL and high bytes survive.
  const std::string binary("\xff\xd8\0\x01jpeg", 8);
  ASSERT_TRUE(store_->put_thumbnail("e", binary, 12, 1 << 20).ok());
  EXPECT_EQ(store_->thumbnail("e", 13), binary);
}

// The raw bytes of a file (empty when it does not exist).
std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class EncryptedStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-encrypted-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "client.db").string(); }

  // Writes a chat, a message and the session token, and returns with the store still open
  // (so the write-ahead log holds them too).
  std::unique_ptr<Store> fill(std::string_view key) {
    auto s = Store::open(path(), key);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    auto store = std::move(s.value());
    EXPECT_TRUE(store->set_setting("token", kToken).ok());
    Chat c;
    c.id = 1;
    c.kind = "direct";
    c.title = "Harbour master";
    c.last_seq = 1;
    EXPECT_TRUE(store->put_chat(c).ok());
    Message m;
    m.chat_id = 1;
    m.seq = 1;
    m.id = 1;
    m.sender_id = 2;
    m.client_id = "c1";
    m.kind = "text";
    m.text = kSecret;
    m.ts = 1000;
    m.version = 1;
    EXPECT_TRUE(store->put_message(m).ok());
    EXPECT_TRUE(store->put_thumbnail("0123456789abcdef0123456789abcdef", kSecretPixels, 1, 1 << 20).ok());
    return store;
  }
  bool any_file_contains(std::string_view needle) const {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (file_bytes(e.path()).find(needle) != std::string::npos) return true;
    }
    return false;
  }

  static constexpr const char* kSecret = "the boat leaves from pier seven at dawn";
  static constexpr const char* kToken = "tok3n-0f-th1s-dev1ce";
  static constexpr const char* kSecretPixels = "PIXELS-OF-A-PRIVATE-PHOTO";
  std::filesystem::path dir_;
};

TEST_F(StoreTest, APlainStoreIsReadableAsSqliteWithoutAKey) {
  // The control for the encrypted tests below: the same checks find the plain text here.
  EXPECT_FALSE(store_->encrypted());
  ASSERT_TRUE(store_->set_setting("token", "visible-token").ok());
  store_.reset();
  const std::string bytes = file_bytes(dir_ / "client.db");
  EXPECT_EQ(bytes.substr(0, 16), std::string("SQLite format 3\0", 16));
  EXPECT_NE(bytes.find("visible-token"), std::string::npos);
}

TEST_P(EncryptedStoreTest, NothingIsReadableWithoutTheKeyAndEverythingWithIt) {
  const std::string key = GetParam();
  {
    auto store = fill(key);
    EXPECT_TRUE(store->encrypted());
    // While open, the data sits in the main file and the write-ahead log: neither shows it.
    EXPECT_FALSE(any_file_contains(kSecret));
    EXPECT_FALSE(any_file_contains(kToken));
    EXPECT_FALSE(any_file_contains(kSecretPixels));
    EXPECT_FALSE(any_file_contains("Harbour master"));
  }
  const std::string bytes = file_bytes(path());
  ASSERT_GE(bytes.size(), 16u);
  EXPECT_NE(bytes.substr(0, 16), std::string("SQLite format 3\0", 16)) << "the header is in clear";
  EXPECT_FALSE(any_file_contains(kSecret));
  EXPECT_FALSE(any_file_contains(kToken));

  // Without the key, or with another, the file does not open.
  for (std::string_view wrong : {std::string_view{}, std::string_view{"another passphrase"},
                                 std::string_view{"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}}) {
    auto s = Store::open(path(), wrong);
    ASSERT_FALSE(s.ok()) << "opened with key '" << wrong << "'";
    EXPECT_EQ(s.error().code, Errc::kInvalidCredentials);
  }
  // Nor does SQLite itself read it as a database.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  // With the key, everything is there, search included.
  auto s = Store::open(path(), key);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto store = std::move(s.value());
  EXPECT_EQ(store->setting("token"), kToken);
  EXPECT_EQ(store->chat(1)->title, "Harbour master");
  EXPECT_EQ(store->message(1, 1)->text, kSecret);
  ASSERT_EQ(store->search("pier sev", 0, 10).size(), 1u);
  EXPECT_EQ(store->thumbnail("0123456789abcdef0123456789abcdef", 2), kSecretPixels);
}

INSTANTIATE_TEST_SUITE_P(Keys, EncryptedStoreTest,
                         ::testing::Values(std::string("correct horse battery staple, it's 'quoted'"),
                                           std::string("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")));

TEST_F(StoreTest, APlainStoreDoesNotOpenWithAKey) {
  store_.reset();
  auto s = Store::open((dir_ / "client.db").string(), "some key");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kInvalidCredentials);
  auto n = Store::open((dir_ / "client.db").string(), std::string_view("a\0b", 3));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::kInvalidArgument);
  // And it still opens without one.
  EXPECT_TRUE(Store::open((dir_ / "client.db").string()).ok());
}

TEST_F(StoreTest, HistoryPagesComeOldestFirstBelowTheGivenSeq) {
  add_chat(1, 100);
  for (int s = 1; s <= 10; ++s) ASSERT_TRUE(store_->put_message(msg(1, s, 2, "m" + std::to_string(s))).ok());
  auto page = store_->messages(1, 0, 3);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 8);
  EXPECT_EQ(page[2].seq, 10);
  page = store_->messages(1, 8, 3);
  EXPECT_EQ(page[0].seq, 5);
  EXPECT_EQ(page[2].seq, 7);
}

TEST_F(StoreTest, OwnMessagesBetweenTwoWatermarksAreFoundForStateUpdates) {
  add_chat(1, 100);
  for (int s = 1; s <= 6; ++s) ASSERT_TRUE(store_->put_message(msg(1, s, s % 2 ? 1 : 2, "m")).ok());
  auto mine = store_->messages_of(1, 1, 1, 5);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].seq, 3);
  EXPECT_EQ(mine[1].seq, 5);
}

TEST_F(StoreTest, AStoreFromANewerClientIsRefused) {
  store_.reset();
  {
    auto s = Store::open((dir_ / "client.db").string());
    ASSERT_TRUE(s.ok());
  }
  // Simulate a newer schema.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "client.db").string().c_str(), &db), 0);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=999", nullptr, nullptr, nullptr), 0);
  sqlite3_close(db);
  auto s = Store::open((dir_ / "client.db").string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kInternal);
}

}  // namespace
}  // namespace parley::client
