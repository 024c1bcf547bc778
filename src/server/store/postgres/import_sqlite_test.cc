// parleyd migrate: an embedded store in which every feature was used, copied into
// PostgreSQL, must answer every read exactly as the original does, and go on from there.
#include "server/store/postgres/import_sqlite.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "server/store/postgres/conn.h"
#include "server/store/postgres/pg_store.h"
#include "server/store/postgres/test_postgres.h"
#include "server/store/sqlite/sqlite_store.h"
#include "server/store/store_test_support.h"

namespace parley::store {
namespace {

using test::in_txn;

NewMessage text(int64_t conv, int64_t sender, const std::string& client_id, const std::string& body,
                int64_t ts) {
  return NewMessage{conv, sender, client_id, "text", body, ts, "", ""};
}

// Uses every feature of the store once or more: accounts and sessions, direct and group
// conversations with members leaving and coming back, text, system and image messages,
// receipts, edits, deletions for everyone and for one user, contacts, blocks, privacy and
// last seen, uploads, push subscriptions, mute, the notification preview and a disabled account.
std::vector<int64_t> populate(Store& s) {
  std::vector<int64_t> users;
  for (const char* name : {"alice", "bob", "carol", "dave"}) {
    users.push_back(
        in_txn(s, [&](WriteTxn& t) { return t.create_user(name, name, "hash", 10); })->id);
  }
  const int64_t a = users[0], b = users[1], c = users[2], d = users[3];
  auto session =
      in_txn(s, [&](WriteTxn& t) { return t.create_session(a, "tok-a1", "phone", 20, 9999999); });
  (void)in_txn(s,
               [&](WriteTxn& t) { return t.create_session(a, "tok-a2", "laptop", 21, 9999999); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.revoke_session(a, session->id); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_account_disabled(d, true, 25); });
  const int64_t laptop = s.live_sessions(a, 100)->front().id;
  PushSubscriptionRecord push;
  push.user_id = a;
  push.session_id = laptop;
  push.kind = "webpush";
  push.endpoint = "https://push.example/a";
  push.p256dh = "key";
  push.auth = "auth";
  push.created_at = 22;
  (void)in_txn(s, [&](WriteTxn& t) { return t.put_push_subscription(push, PushSubscriptionLimits{}); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_notification_preview(b, "hidden"); });
  const int64_t ab =
      in_txn(s, [&](WriteTxn& t) { return t.get_or_create_direct(a, b, 30); })->conversation.id;
  for (int i = 0; i < 30; ++i) {
    (void)in_txn(s, [&](WriteTxn& t) {
      return t.append_message(text(ab, i % 2 ? a : b, "d" + std::to_string(i),
                                   "hello number " + std::to_string(i), 100 + i));
    });
  }
  (void)in_txn(s, [&](WriteTxn& t) { return t.advance_receipt(ab, a, 28, 25); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.edit_message(ab, 2, "hello edited 東京", 200); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.erase_message(ab, 3, 201); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.hide_message(b, ab, 4); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_muted_until(ab, b, kMutedAlways); });

  CallRecord call;
  call.id = "feedfacefeedfacefeedfacefeedface";
  call.conversation_id = ab;
  call.caller_id = a;
  call.callee_id = b;
  call.media = "video";
  call.state = "ringing";
  call.started_at = 210;
  call.caller_session = 7;
  call.offer_sdp = "v=0";
  (void)in_txn(s, [&](WriteTxn& t) { return t.insert_call(call); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.answer_call(call.id, 8, 215); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.end_call(call.id, "active", "completed", 0, 220); });

  MediaRecord m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.owner_id = a;
  m.source_sha256 = "src";
  m.mime = m.thumb_mime = "image/jpeg";
  m.sha256 = "blob";
  m.thumb_sha256 = "thumb";
  m.width = 4;
  m.height = 3;
  m.placeholder = "data:image/jpeg;base64,AA==";
  m.created_at = 300;
  EXPECT_TRUE(in_txn(s, [&](WriteTxn& t) { return t.insert_media(m); }).ok());

  const int64_t g =
      in_txn(s, [&](WriteTxn& t) { return t.create_group(a, "Team", "About", 40); })->id;
  (void)in_txn(s, [&](WriteTxn& t) {
    return t.append_message({g, a, "g0", "system", "{\"event\":\"group_created\"}", 41, "", ""});
  });
  (void)in_txn(s, [&](WriteTxn& t) { return t.add_member(g, b, "member", 1, 42); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.add_member(g, c, "admin", 1, 43); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.add_member(g, d, "member", 1, 44); });
  (void)in_txn(s, [&](WriteTxn& t) {
    return t.append_message({g, a, "g1", "image", "a photo", 45, m.id, "{\"w\":4}"});
  });
  (void)in_txn(s,
               [&](WriteTxn& t) { return t.append_message(text(g, c, "g2", "walrus talk", 46)); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.mark_played(g, 3, b, 46); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.remove_member(g, d, 3); });
  (void)in_txn(
      s, [&](WriteTxn& t) { return t.append_message(text(g, b, "g3", "after dave left", 47)); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.add_member(g, d, "member", 4, 48); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_role(g, b, "admin"); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_group_info(g, "Team 2", "New about"); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.advance_receipt(g, c, 5, 4); });

  (void)in_txn(s, [&](WriteTxn& t) { return t.upsert_contact(a, b, "Bobby", 50); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.upsert_contact(b, a, "", 51); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_block(c, d, true, 52); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_last_seen(a, 60); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_hide_last_seen(b, true); });
  (void)in_txn(s, [&](WriteTxn& t) { return t.set_groups_add(c, "contacts"); });
  return users;
}

std::string describe(const MessageRecord& m) {
  std::ostringstream out;
  out << m.id << ',' << m.conversation_id << ',' << m.seq << ',' << m.sender_id << ','
      << m.client_id << ',' << m.kind << ',' << m.text << ',' << m.ts << ',' << m.version << ','
      << m.edited_at.value_or(-1) << ',' << m.deleted_at.value_or(-1) << ',' << m.hidden << ','
      << m.media_id << ',' << m.attachment << ';';
  return out.str();
}

std::string describe(const ConversationRecord& c) {
  std::ostringstream out;
  out << c.id << ',' << c.kind << ',' << c.created_at << ',' << c.last_seq << ',' << c.last_activity
      << ',' << c.version << ',' << c.name << ',' << c.description << ',' << c.member_count << ','
      << c.min_delivered_seq << ',' << c.min_read_seq << ',';
  for (const auto& m : c.members) {
    out << m.user.id << ':' << m.delivered_seq << ':' << m.read_seq << ':' << m.role << ':'
        << m.joined_seq << ':' << m.left_seq.value_or(-1) << ':' << m.joined_at << ':' << m.muted_until << ' ';
  }
  if (c.last_message) out << describe(*c.last_message);
  return out.str() + '\n';
}

// Everything a user can read, as one string.
std::string everything_seen_by(Store& s, int64_t user) {
  std::ostringstream out;
  auto list = s.list_conversations(user, std::nullopt, 50);
  for (const auto& c : list->items) {
    out << describe(c);
    auto page = s.history(user, HistoryQuery{c.id, std::nullopt, 0, 200});
    for (const auto& m : page->items) out << describe(m);
    auto changes = s.message_changes(user, c.id, 0, 200);
    for (const auto& m : changes->items) out << describe(m);
    auto members = s.group_members(c.id, user);
    if (members.ok())
      for (const auto& m : *members) out << m.user.id << '/' << m.role << ' ';
    auto receipts = s.message_receipts(c.id, 1, user);
    if (receipts.ok())
      for (const auto& r : *receipts)
        out << r.user.id << '@' << r.delivered_at.value_or(-1) << '/' << r.read_at.value_or(-1)
            << ' ';
  }
  auto sync = s.changes_since(user, 0, 100);
  out << "sync " << sync->version << ' ' << sync->conversations.size() << '\n';
  // Each Result is kept alive for its loop (a range-for over *temporary would dangle).
  auto contacts = s.contacts(user);
  for (const auto& contact : *contacts)
    out << contact.user.id << contact.nickname << contact.created_at << ' ';
  auto blocked_users = s.blocked_users(user);
  for (const auto& blocked : *blocked_users) out << "blocked " << blocked.id << ' ';
  auto privacy = s.privacy_settings(user);
  out << "privacy " << (*privacy)->hide_last_seen << (*privacy)->groups_add << '\n';
  out << "preview " << s.notification_preview(user)->value_or("?") << " unread " << *s.unread_total(user) << '\n';
  auto push_sessions = s.live_sessions(user, 100);
  for (const auto& session : *push_sessions) {
    auto subscriptions = s.push_subscriptions(user, session.id);
    for (const auto& p : *subscriptions)
      out << "push " << p.id << p.kind << p.endpoint << p.p256dh << p.auth << p.created_at << ' ';
  }
  auto presence = s.presence({1, 2, 3, 4});
  for (const auto& p : *presence)
    out << p.user_id << '=' << p.last_seen_at.value_or(-1) << p.hide_last_seen << ' ';
  auto sessions = s.live_sessions(user, 100);
  for (const auto& session : *sessions)
    out << "session " << session.id << session.device_name << ' ';
  for (const char* q : {"hello", "東京", "walrus", "numb"}) {
    auto hits = s.search(user, SearchQuery{q, std::nullopt, 50, 0});
    for (const auto& h : hits->items) out << "hit " << h.message.id << ' ';
  }
  auto media = s.media_for_user("0123456789abcdef0123456789abcdef", user);
  out << "media " << (media.ok() && media->has_value()) << '\n';
  return out.str();
}

class ImportSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = test::TestPostgres::instance();
    ASSERT_TRUE(server.ok()) << server.error().message;
    auto uri = (*server)->create_database();
    ASSERT_TRUE(uri.ok());
    uri_ = *uri;
  }
  std::unique_ptr<Store> sqlite() {
    return std::move(open_sqlite_store(SqliteOptions{dir_.file("parley.db"), 2, true})).value();
  }
  std::string dir() const { return dir_.file(""); }

  test::TempDir dir_;
  std::string uri_;
};

TEST_F(ImportSqliteTest, ACopiedStoreAnswersEveryReadAsTheOriginalAndGoesOnFromThere) {
  std::vector<int64_t> users;
  std::vector<std::string> before;
  {
    auto original = sqlite();
    users = populate(*original);
    for (int64_t u : users) before.push_back(everything_seen_by(*original, u));
  }
  std::vector<std::string> lines;
  auto report = import_sqlite(dir(), uri_, [&](const std::string& line) { lines.push_back(line); });
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->verified());
  EXPECT_EQ(report->tables.size(), 14u);
  for (const auto& t : report->tables) {
    EXPECT_TRUE(t.matches()) << t.table;
    EXPECT_GT(t.source_rows, 0) << t.table << ": every feature was used";
  }

  auto copy = open_pg_store(PgOptions{uri_, 2});
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  for (size_t i = 0; i < users.size(); ++i) {
    EXPECT_EQ(everything_seen_by(**copy, users[i]), before[i]) << "user " << users[i];
  }
  auto call = (*copy)->find_call("feedfacefeedfacefeedfacefeedface");
  ASSERT_TRUE(call.ok() && call->has_value());
  EXPECT_EQ((*call)->state, "ended");
  EXPECT_EQ((*call)->end_reason, "completed");
  EXPECT_EQ((*call)->answered_at, 215);
  EXPECT_EQ((*call)->ended_at, 220);
  EXPECT_EQ((*call)->callee_session, 8);
  EXPECT_EQ((*call)->media, "video");
  // New writes continue after the copied ids, seqs and versions.
  auto version = (*copy)->current_version();
  auto erin = in_txn(**copy, [](WriteTxn& t) { return t.create_user("erin", "erin", "hash", 70); });
  ASSERT_TRUE(erin.ok()) << erin.error().message;
  EXPECT_EQ(erin->id, 5);
  auto next = in_txn(
      **copy, [&](WriteTxn& t) { return t.append_message(text(1, users[0], "new", "later", 80)); });
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->message.seq, 31);
  EXPECT_EQ(next->message.version, *version + 1);
  EXPECT_EQ(next->message.id, 35) << "34 messages were copied";
}

TEST_F(ImportSqliteTest, AnInterruptedCopyResumesAndCopiesNothingTwice) {
  {
    auto original = sqlite();
    populate(*original);
  }
  auto first = import_sqlite(dir(), uri_, [](const std::string&) {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  {
    // As if the run had stopped in the middle of the messages.
    auto conn = pg::Conn::open(uri_);
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)
                    ->exec("DELETE FROM receipt_log; DELETE FROM messages WHERE id > 20;"
                           " UPDATE meta SET value = 0 WHERE key = 'sqlite_import'")
                    .ok());
  }
  auto second = import_sqlite(dir(), uri_, [](const std::string&) {});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->verified());
  for (size_t i = 0; i < first->tables.size(); ++i) {
    EXPECT_EQ(second->tables[i].target_rows, first->tables[i].target_rows);
  }
}

TEST_F(ImportSqliteTest, ATargetInUseIsRefused) {
  {
    auto original = sqlite();
    populate(*original);
  }
  {
    auto live = open_pg_store(PgOptions{uri_, 1});
    ASSERT_TRUE(live.ok());
    ASSERT_TRUE(
        in_txn(**live, [](WriteTxn& t) { return t.create_user("zed", "Zed", "h", 1); }).ok());
  }
  auto refused = import_sqlite(dir(), uri_, [](const std::string&) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
}

TEST_F(ImportSqliteTest, NoDatabaseInTheDirectoryIsAnError) {
  auto missing = import_sqlite(dir() + "/nothing-here", uri_, [](const std::string&) {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace parley::store
