// The media rows of the store, through the Store interface: who may fetch an upload
// (media_for_user) and what garbage collection deletes and reports.
#include <gtest/gtest.h>

#include <algorithm>

#include "server/store/store_test_support.h"
#include "server/store/test_stores.h"

namespace parley::store {
namespace {

using test::in_txn;

// Runs against every store (test_stores.h).
class MediaStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto opened = backing_.open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    for (const char* name : {"alice", "bob", "carol", "dave"})
      users_.push_back(in_txn(*store_, [&](WriteTxn& t) { return t.create_user(name, name, "hash", 1); }).value());
  }

  int64_t id(int i) const { return users_[i].id; }

  MediaRecord media(const std::string& hex_id, int64_t owner, const std::string& blob, int64_t at) {
    MediaRecord m;
    m.id = hex_id;
    m.owner_id = owner;
    m.source_sha256 = "src-" + hex_id;
    m.mime = m.thumb_mime = "image/jpeg";
    m.sha256 = blob;
    m.thumb_sha256 = "thumb-" + blob;
    m.width = 4;
    m.height = 3;
    m.created_at = at;
    EXPECT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.insert_media(m); }).ok());
    return m;
  }

  MessageRecord send(int64_t conversation, int64_t sender, const std::string& media_id) {
    static int n = 0;
    NewMessage m;
    m.conversation_id = conversation;
    m.sender_id = sender;
    m.client_id = "c" + std::to_string(++n);
    m.kind = media_id.empty() ? "text" : "image";
    m.text = "x";
    m.ts = 10;
    m.media_id = media_id;
    m.attachment = media_id.empty() ? "" : "{}";
    auto r = in_txn(*store_, [&](WriteTxn& t) { return t.append_message(m); });
    EXPECT_TRUE(r.ok());
    return r->message;
  }

  bool may_fetch(const std::string& media_id, int user) {
    auto r = store_->media_for_user(media_id, id(user));
    EXPECT_TRUE(r.ok());
    return r->has_value();
  }

  test::TestStore backing_{GetParam()};
  std::unique_ptr<Store> store_;
  std::vector<UserRecord> users_;
};

const std::string kA(32, 'a'), kB(32, 'b'), kC(32, 'c');

TEST_P(MediaStoreTest, OnlyTheUploaderUntilItIsSent) {
  media(kA, id(0), "blob-a", 1);
  EXPECT_TRUE(may_fetch(kA, 0));
  EXPECT_FALSE(may_fetch(kA, 1));
  EXPECT_FALSE(may_fetch(std::string(32, 'f'), 0));
}

TEST_P(MediaStoreTest, MembersWhoCanSeeTheMessageMayFetchStrangersMayNot) {
  media(kA, id(0), "blob-a", 1);
  auto direct = in_txn(*store_, [&](WriteTxn& t) { return t.get_or_create_direct(id(0), id(1), 1); });
  auto msg = send(direct->conversation.id, id(0), kA);
  EXPECT_EQ(msg.media_id, kA);
  EXPECT_EQ(msg.attachment, "{}");
  EXPECT_TRUE(may_fetch(kA, 0));
  EXPECT_TRUE(may_fetch(kA, 1));
  EXPECT_FALSE(may_fetch(kA, 2));
  auto page = store_->history(id(1), HistoryQuery{direct->conversation.id, {}, {}, 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.at(0).media_id, kA);
}

TEST_P(MediaStoreTest, GroupMembersWithinTheirHistoryWindow) {
  auto group = in_txn(*store_, [&](WriteTxn& t) { return t.create_group(id(0), "g", "", 1); });
  int64_t g = group->id;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.add_member(g, id(1), "member", 0, 1); }).ok());
  media(kA, id(0), "blob-a", 1);
  media(kB, id(0), "blob-b", 1);
  auto before = send(g, id(0), kA);
  // Carol joins after the first photo; Bob is removed before the second.
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.add_member(g, id(2), "member", before.seq, 2); }).ok());
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.remove_member(g, id(1), before.seq); }).ok());
  send(g, id(0), kB);
  EXPECT_TRUE(may_fetch(kA, 1));   // seen while a member
  EXPECT_FALSE(may_fetch(kB, 1));  // sent after the removal
  EXPECT_FALSE(may_fetch(kA, 2));  // sent before the join
  EXPECT_TRUE(may_fetch(kB, 2));
  EXPECT_FALSE(may_fetch(kB, 3));  // never a member
}

TEST_P(MediaStoreTest, CollectionDeletesOldUnreferencedUploadsAndReportsUnusedBlobs) {
  auto direct = in_txn(*store_, [&](WriteTxn& t) { return t.get_or_create_direct(id(0), id(1), 1); });
  media(kA, id(0), "blob-shared", 1);  // old, unreferenced, but its blob is shared with kB
  media(kB, id(1), "blob-shared", 1);
  send(direct->conversation.id, id(1), kB);  // referenced: kept
  media(kC, id(0), "blob-c", 1);             // old, unreferenced: goes with its blobs
  media(std::string(32, 'd'), id(0), "blob-d", 100);  // too young
  auto unused = in_txn(*store_, [&](WriteTxn& t) { return t.delete_unreferenced_media(50, 100); });
  ASSERT_TRUE(unused.ok());
  std::vector<std::string> keys = *unused;
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"blob-c", "thumb-blob-c"}));
  EXPECT_FALSE(may_fetch(kA, 0));
  EXPECT_FALSE(may_fetch(kC, 0));
  EXPECT_TRUE(may_fetch(kB, 0));
  EXPECT_TRUE(may_fetch(std::string(32, 'd'), 0));
}

TEST_P(MediaStoreTest, IdenticalBytesAreFoundBySourceHash) {
  media(kA, id(0), "blob-a", 1);
  auto found = store_->media_by_source("src-" + kA);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->sha256, "blob-a");
  EXPECT_FALSE(store_->media_by_source("nothing")->has_value());
}

TEST_P(MediaStoreTest, KindAndNameRoundTripAndASingleBlobIsReportedOnce) {
  MediaRecord m;
  m.id = kA;
  m.owner_id = id(0);
  m.source_sha256 = "src-file";
  m.mime = m.thumb_mime = "application/pdf";
  m.sha256 = m.thumb_sha256 = "blob-file";  // a document has no thumbnail
  m.size = m.thumb_size = 1234;
  m.kind = "file";
  m.name = "Report \xC3\xA9t\xC3\xA9 2026.pdf";
  m.created_at = 1;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.insert_media(m); }).ok());
  media(kB, id(0), "blob-b", 100);  // an image, for the default kind
  auto found = in_txn(*store_, [&](WriteTxn& t) { return t.find_media(kA); });
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->kind, "file");
  EXPECT_EQ((*found)->name, m.name);
  EXPECT_EQ((*found)->mime, "application/pdf");
  auto image = store_->media_for_user(kB, id(0));
  ASSERT_TRUE(image.ok() && image->has_value());
  EXPECT_EQ((*image)->kind, "image");
  EXPECT_EQ((*image)->name, "");
  auto unused = in_txn(*store_, [&](WriteTxn& t) { return t.delete_unreferenced_media(50, 100); });
  ASSERT_TRUE(unused.ok());
  EXPECT_EQ(*unused, (std::vector<std::string>{"blob-file"}));
}

TEST_P(MediaStoreTest, AVideoKeepsItsDurationAndPosterAndBothBlobsAreCollected) {
  MediaRecord m;
  m.id = kC;
  m.owner_id = id(0);
  m.source_sha256 = "src-video";
  m.mime = "video/mp4";
  m.sha256 = "blob-video";
  m.size = 987654;
  m.width = 1280;
  m.height = 720;
  m.duration_ms = 12345;
  m.thumb_mime = "image/jpeg";
  m.thumb_sha256 = "blob-poster";
  m.thumb_size = 4321;
  m.thumb_width = 640;
  m.thumb_height = 360;
  m.placeholder = "data:image/jpeg;base64,xx";
  m.kind = "video";
  m.created_at = 1;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.insert_media(m); }).ok());
  media(kB, id(0), "blob-b", 1);  // a photo: duration 0
  auto found = store_->media_for_user(kC, id(0));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->kind, "video");
  EXPECT_EQ((*found)->duration_ms, 12345);
  EXPECT_EQ((*found)->thumb_sha256, "blob-poster");
  EXPECT_EQ((*found)->width, 1280);
  auto photo = store_->media_for_user(kB, id(0));
  ASSERT_TRUE(photo.ok() && photo->has_value());
  EXPECT_EQ((*photo)->duration_ms, 0);
  auto unused = in_txn(*store_, [&](WriteTxn& t) { return t.delete_unreferenced_media(50, 100); });
  ASSERT_TRUE(unused.ok());
  std::vector<std::string> got = *unused;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"blob-b", "blob-poster", "blob-video", "thumb-blob-b"}));
}

MessageRecord send_kind(WriteTxn& t, int64_t conversation, int64_t sender, const std::string& kind,
                        const std::string& text) {
  static int n = 0;
  NewMessage m;
  m.conversation_id = conversation;
  m.sender_id = sender;
  m.client_id = "k" + std::to_string(++n);
  m.kind = kind;
  m.text = text;
  m.ts = 10;
  if (kind != "text") {
    m.media_id = std::string(32, '0');  // MediaStoreTest inserts it
    m.attachment = "{}";
  }
  auto r = t.append_message(m);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r->message : MessageRecord{};
}

std::vector<int64_t> seqs(const Result<Page<MessageRecord>>& page) {
  std::vector<int64_t> out;
  if (page.ok())
    for (const auto& m : page->items) out.push_back(m.seq);
  return out;
}

TEST_P(MediaStoreTest, AChatsMediaLinksDocsAndVoiceAreListedNewestFirstByCategory) {
  auto group = in_txn(*store_, [&](WriteTxn& t) { return t.create_group(id(0), "g", "", 1); });
  const int64_t g = group->id;  // seq 1 is the group's creation event
  media(std::string(32, '0'), id(0), "blob-0", 1);
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.add_member(g, id(1), "member", 0, 1); }).ok());
  std::vector<MessageRecord> sent;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) -> Result<int> {
    sent.push_back(send_kind(t, g, id(0), "image", "a photo"));                       // 0
    sent.push_back(send_kind(t, g, id(0), "text", "see https://example.org/x"));       // 1
    sent.push_back(send_kind(t, g, id(1), "video", ""));                               // 2
    sent.push_back(send_kind(t, g, id(0), "file", "the doc, HTTP://EXAMPLE.COM"));     // 3
    sent.push_back(send_kind(t, g, id(1), "voice", ""));                               // 4
    sent.push_back(send_kind(t, g, id(0), "text", "no link here, just httpx and ftp://x")); // 5
    sent.push_back(send_kind(t, g, id(0), "image", "deleted for everyone"));           // 6
    sent.push_back(send_kind(t, g, id(0), "image", "hidden by bob"));                  // 7
    return 0;
  }).ok());
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.erase_message(g, sent[6].seq, 20); }).ok());
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.hide_message(id(1), g, sent[7].seq); }).ok());
  auto list = [&](int user, MediaCategory c, std::optional<int64_t> before = {}, int limit = 50) {
    return store_->conversation_media(id(user), MediaQuery{g, c, before, limit});
  };
  EXPECT_EQ(seqs(list(1, MediaCategory::kMedia)), (std::vector<int64_t>{sent[2].seq, sent[0].seq}));
  EXPECT_EQ(seqs(list(0, MediaCategory::kMedia)), (std::vector<int64_t>{sent[7].seq, sent[2].seq, sent[0].seq}));
  EXPECT_EQ(seqs(list(1, MediaCategory::kDocs)), (std::vector<int64_t>{sent[3].seq}));
  EXPECT_EQ(seqs(list(1, MediaCategory::kVoice)), (std::vector<int64_t>{sent[4].seq}));
  EXPECT_EQ(seqs(list(1, MediaCategory::kLinks)), (std::vector<int64_t>{sent[3].seq, sent[1].seq}));
  // Paging: a cursor and a limit, has_more while more remain.
  auto first = list(0, MediaCategory::kMedia, {}, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->has_more);
  EXPECT_EQ(seqs(first), (std::vector<int64_t>{sent[7].seq, sent[2].seq}));
  auto rest = list(0, MediaCategory::kMedia, sent[2].seq, 2);
  ASSERT_TRUE(rest.ok());
  EXPECT_FALSE(rest->has_more);
  EXPECT_EQ(seqs(rest), (std::vector<int64_t>{sent[0].seq}));
  EXPECT_EQ(rest->items.at(0).text, "a photo");
  // Membership windows: carol joins after everything above, then sees only what follows;
  // dave never was a member.
  const int64_t last = sent.back().seq;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.add_member(g, id(2), "member", last, 2); }).ok());
  EXPECT_TRUE(seqs(list(2, MediaCategory::kMedia)).empty());
  MessageRecord later;
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) -> Result<int> {
    later = send_kind(t, g, id(0), "video", "");
    return 0;
  }).ok());
  EXPECT_EQ(seqs(list(2, MediaCategory::kMedia)), (std::vector<int64_t>{later.seq}));
  // Bob, removed, keeps what he saw while a member and nothing after.
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.remove_member(g, id(1), last); }).ok());
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) -> Result<int> {
    send_kind(t, g, id(0), "image", "after bob left");
    return 0;
  }).ok());
  EXPECT_EQ(seqs(list(1, MediaCategory::kMedia)), (std::vector<int64_t>{sent[2].seq, sent[0].seq}));
  auto stranger = list(3, MediaCategory::kMedia);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, Errc::kNotFound);
}

TEST_P(MediaStoreTest, AVoiceMessageIsPlayedOncePerRecipientAndTheFirstTimeStays) {
  auto direct = in_txn(*store_, [&](WriteTxn& t) { return t.get_or_create_direct(id(0), id(1), 1); });
  const int64_t c = direct->conversation.id;
  auto first = in_txn(*store_, [&](WriteTxn& t) { return t.mark_played(c, 1, id(1), 100); });
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->played_at, 100);
  auto again = in_txn(*store_, [&](WriteTxn& t) { return t.mark_played(c, 1, id(1), 200); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->played_at, 100);
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.mark_played(c, 1, id(0), 300); }).ok());
  ASSERT_TRUE(in_txn(*store_, [&](WriteTxn& t) { return t.mark_played(c, 2, id(1), 400); }).ok());
  auto plays = store_->voice_plays(c, 1);
  ASSERT_TRUE(plays.ok());
  std::vector<std::pair<int64_t, int64_t>> expected{{id(0), 300}, {id(1), 100}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*plays, expected);
  EXPECT_TRUE(store_->voice_plays(c, 3)->empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, MediaStoreTest, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::store
