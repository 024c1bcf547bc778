// ChatService against the real SQLite store in a temporary file.
#include "server/chat/service.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "server/store/test_stores.h"

namespace parley::chat {
namespace {


// Records what the service announced, in order.
class RecordingNotifier : public Notifier {
 public:
  void on_message(const store::AppendOutcome& o, uint64_t origin) override {
    std::lock_guard lock(mu);
    messages.push_back(o.message);
    origins.push_back(origin);
    recipients.push_back(o.member_ids);
  }
  void on_receipt(const store::ReceiptOutcome& r) override {
    std::lock_guard lock(mu);
    receipts.push_back(r);
  }
  void on_conversation(const store::ConversationRecord& c, int64_t viewer) override {
    std::lock_guard lock(mu);
    conversations.push_back(c);
  }
  void on_sessions_revoked(int64_t user_id, const std::vector<int64_t>& ids) override {
    std::lock_guard lock(mu);
    revoked.insert(revoked.end(), ids.begin(), ids.end());
  }
  void on_message_changed(const store::MessageChange& c) override {
    std::lock_guard lock(mu);
    changes.push_back(c);
  }
  void on_message_hidden(const store::HideOutcome& h) override {
    std::lock_guard lock(mu);
    hides.push_back(h);
  }
  void on_reaction(const store::ReactionOutcome& r) override {
    std::lock_guard lock(mu);
    reactions.push_back(r);
  }
  std::vector<store::ReactionOutcome> reactions;
  void on_chat_state(const store::ChatStateOutcome& s) override {
    std::lock_guard lock(mu);
    chat_states.push_back(s);
  }
  std::vector<store::ChatStateOutcome> chat_states;
  void on_played(const store::PlayOutcome& p) override {
    std::lock_guard lock(mu);
    plays.push_back(p);
  }
  std::vector<store::PlayOutcome> plays;
  std::mutex mu;
  std::vector<store::MessageChange> changes;
  std::vector<store::HideOutcome> hides;
  std::vector<store::MessageRecord> messages;
  std::vector<uint64_t> origins;
  std::vector<std::vector<int64_t>> recipients;
  std::vector<store::ReceiptOutcome> receipts;
  std::vector<store::ConversationRecord> conversations;
  std::vector<int64_t> revoked;
};

// Turns a callback API into a blocking call for tests.
template <class T, class Fn>
Result<T> wait_for(Fn&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start(Callback<T>([&p](Result<T> r) { p.set_value(std::move(r)); }));
  return f.get();
}

// Parameterised over the store kinds (store/test_stores.h); a TEST_F written against this
// fixture runs on the embedded store.
class ChatServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { init_crypto(); }

  void SetUp() override { open(); }
  void TearDown() override {
    service_.reset();
    store_.reset();
  }
  void open(ChatLimits limits = fast_limits()) {
    service_.reset();
    store_.reset();
    if (!backing_) {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      backing_.emplace(info->value_param() != nullptr ? GetParam() : std::string("sqlite"));
    }
    auto s = backing_->open(4);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    service_ = std::make_unique<ChatService>(*store_, notifier_, limits);
  }
  static ChatLimits fast_limits() {
    ChatLimits l;
    l.password_strength = HashStrength::kBenchmark;
    l.send_per_sec = 0;  // unlimited unless a test says otherwise
    return l;
  }

  LoginResult make_user(const std::string& name) {
    auto r = wait_for<LoginResult>([&](auto cb) {
      service_->register_user({name, "User " + name, "password-" + name, "test"}, cb);
    });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }
  Principal principal(const LoginResult& l) { return Principal{l.user, l.session_id}; }
  int64_t direct(const LoginResult& a, const LoginResult& b) {
    auto r = wait_for<store::DirectOutcome>(
        [&](auto cb) { service_->open_direct(principal(a), b.user.id, std::nullopt, cb); });
    EXPECT_TRUE(r.ok());
    return r->conversation.id;
  }
  Result<store::AppendOutcome> send(const LoginResult& who, int64_t conv, std::string client_id,
                                    std::string text, uint64_t origin = 0) {
    return wait_for<store::AppendOutcome>([&](auto cb) {
      service_->send(principal(who), {conv, std::move(client_id), std::move(text)}, origin, cb);
    });
  }

  std::optional<store::test::TestStore> backing_;  // the data, kept across open()
  RecordingNotifier notifier_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ChatService> service_;
};

TEST_P(ChatServiceTest, RegisterLogsInAndTheTokenAuthenticatesUntilLogout) {
  LoginResult alice = make_user("alice");
  EXPECT_EQ(alice.token.size(), 43u);
  auto who = service_->authenticate(alice.token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->user.username, "alice");
  auto out = wait_for<Done>([&](auto cb) { service_->logout(*who, cb); });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(service_->authenticate(alice.token).error().code, Errc::kUnauthenticated);
  EXPECT_EQ(notifier_.revoked, std::vector<int64_t>{alice.session_id});
}

TEST_P(ChatServiceTest, UsernamesAreUniqueCaseInsensitively) {
  make_user("alice");
  auto r = wait_for<LoginResult>(
      [&](auto cb) { service_->register_user({"ALICE", "Other", "password-x", ""}, cb); });
  EXPECT_EQ(r.error().code, Errc::kUsernameTaken);
}

TEST_P(ChatServiceTest, WrongPasswordAndUnknownUserAreTheSameError) {
  make_user("alice");
  auto wrong = wait_for<LoginResult>([&](auto cb) { service_->login("alice", "nope-nope", "", cb); });
  auto unknown = wait_for<LoginResult>([&](auto cb) { service_->login("zed", "nope-nope", "", cb); });
  EXPECT_EQ(wrong.error().code, Errc::kInvalidCredentials);
  EXPECT_EQ(unknown.error().code, Errc::kInvalidCredentials);
  auto ok = wait_for<LoginResult>([&](auto cb) { service_->login("Alice", "password-alice", "", cb); });
  EXPECT_TRUE(ok.ok());
}

TEST_P(ChatServiceTest, SendAssignsGapFreeSeqsAndAnnouncesEachMessageOnceInOrder) {
  auto a = make_user("alice"), b = make_user("bob");
  int64_t conv = direct(a, b);
  // Many concurrent senders: the committer batches them; seqs must still be 1..N.
  constexpr int kPerSender = 100;
  std::vector<std::thread> threads;
  for (const LoginResult* who : {&a, &b})
    threads.emplace_back([&, who] {
      for (int i = 0; i < kPerSender; ++i)
        ASSERT_TRUE(send(*who, conv, who->user.username + std::to_string(i), "hi").ok());
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(notifier_.messages.size(), 2u * kPerSender);
  for (std::size_t i = 0; i < notifier_.messages.size(); ++i)
    EXPECT_EQ(notifier_.messages[i].seq, static_cast<int64_t>(i + 1));
}

TEST_P(ChatServiceTest, ResendIsIdempotentAcrossARestart) {
  auto a = make_user("alice"), b = make_user("bob");
  int64_t conv = direct(a, b);
  auto first = send(a, conv, "c-1", "hello", 7);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(notifier_.origins.back(), 7u);
  open();  // a restart: new store connection, new service
  auto again = send(a, conv, "c-1", "different text");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.seq, first->message.seq);
  EXPECT_EQ(again->message.ts, first->message.ts);
  EXPECT_EQ(again->message.text, "hello");
  EXPECT_EQ(notifier_.messages.size(), 1u);  // the duplicate announced nothing
}

TEST_P(ChatServiceTest, BadMessagesAreRejectedBeforeAnythingIsStored) {
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol");
  int64_t conv = direct(a, b);
  EXPECT_EQ(send(a, conv, "", "x").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(send(a, conv, "ok-id", "").error().code, Errc::kMessageTooLong);
  EXPECT_EQ(send(a, conv, "ok-id", std::string(16385, 'x')).error().code, Errc::kMessageTooLong);
  EXPECT_EQ(send(a, conv, "ok-id", "\xFF").error().code, Errc::kInvalidUtf8);
  EXPECT_EQ(send(c, conv, "ok-id", "intruder").error().code, Errc::kNotFound);
  EXPECT_EQ(send(a, 999999, "ok-id", "nowhere").error().code, Errc::kNotFound);
  auto conv_now = service_->conversation(principal(a), conv);
  ASSERT_TRUE(conv_now.ok());
  EXPECT_EQ(conv_now->last_seq, 0);
  EXPECT_TRUE(notifier_.messages.empty());
}

TEST_P(ChatServiceTest, SendRateLimitAnswersWithRetryAfter) {
  ChatLimits l = fast_limits();
  l.send_per_sec = 1;
  l.send_burst = 2;
  open(l);
  auto a = make_user("alice"), b = make_user("bob");
  int64_t conv = direct(a, b);
  EXPECT_TRUE(send(a, conv, "m1", "1").ok());
  EXPECT_TRUE(send(a, conv, "m2", "2").ok());
  auto third = send(a, conv, "m3", "3");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::kRateLimited);
  EXPECT_GT(third.error().retry_after_ms, 0);
  EXPECT_TRUE(send(b, conv, "b1", "bob is not limited by alice").ok());
}

TEST_P(ChatServiceTest, ReceiptsMoveForwardOnlyAndAreAnnouncedWhenTheyMove) {
  auto a = make_user("alice"), b = make_user("bob");
  int64_t conv = direct(a, b);
  ASSERT_TRUE(send(a, conv, "m1", "1").ok());
  ASSERT_TRUE(send(a, conv, "m2", "2").ok());
  auto mark = [&](int64_t d, int64_t r) {
    return wait_for<store::ReceiptOutcome>(
        [&](auto cb) { service_->mark(principal(b), conv, d, r, cb); });
  };
  auto d2 = mark(2, 0);
  ASSERT_TRUE(d2.ok());
  EXPECT_TRUE(d2->changed);
  auto back = mark(1, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->changed);
  EXPECT_EQ(back->delivered_seq, 2);
  auto r1 = mark(0, 1);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->read_seq, 1);
  EXPECT_EQ(mark(0, 3).error().code, Errc::kInvalidArgument);  // beyond last_seq
  EXPECT_EQ(notifier_.receipts.size(), 2u);
}

TEST_P(ChatServiceTest, OpeningADirectChatTwiceGivesTheSameConversation) {
  auto a = make_user("alice"), b = make_user("bob");
  int64_t first = direct(a, b);
  int64_t second = direct(b, a);
  EXPECT_EQ(first, second);
  EXPECT_EQ(notifier_.conversations.size(), 2u);  // announced once, to each of the two users
  auto self = wait_for<store::DirectOutcome>(
      [&](auto cb) { service_->open_direct(principal(a), a.user.id, std::nullopt, cb); });
  EXPECT_EQ(self.error().code, Errc::kInvalidArgument);
}

TEST_P(ChatServiceTest, WritesAfterStopFailAsUnavailable) {
  auto a = make_user("alice"), b = make_user("bob");
  int64_t conv = direct(a, b);
  service_->stop();
  EXPECT_EQ(send(a, conv, "late", "x").error().code, Errc::kUnavailable);
}

// ---- groups -------------------------------------------------------------------------

class GroupTest : public ChatServiceTest {
 protected:
  store::ConversationRecord make_group(const LoginResult& creator, std::vector<int64_t> members) {
    auto r = wait_for<store::ConversationRecord>([&](auto cb) {
      service_->create_group(principal(creator), "Climbing", "Saturdays", members, cb);
    });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : store::ConversationRecord{};
  }
  Result<Done> remove(const LoginResult& actor, int64_t conv, int64_t uid) {
    return wait_for<Done>([&](auto cb) { service_->remove_member(principal(actor), conv, uid, cb); });
  }
  Result<Done> leave(const LoginResult& actor, int64_t conv) {
    return wait_for<Done>([&](auto cb) { service_->leave_group(principal(actor), conv, cb); });
  }
  Result<store::ConversationRecord> add(const LoginResult& actor, int64_t conv, std::vector<int64_t> ids) {
    return wait_for<store::ConversationRecord>(
        [&](auto cb) { service_->add_members(principal(actor), conv, ids, cb); });
  }
  Result<Done> set_role(const LoginResult& actor, int64_t conv, int64_t uid, std::string role) {
    return wait_for<Done>([&](auto cb) { service_->set_member_role(principal(actor), conv, uid, role, cb); });
  }
  std::vector<std::string> system_events(const LoginResult& viewer, int64_t conv) {
    store::HistoryQuery q;
    q.conversation_id = conv;
    q.after = 0;
    q.limit = 200;
    auto page = service_->history(principal(viewer), q);
    std::vector<std::string> out;
    if (!page) return out;
    for (const auto& m : page->items)
      if (m.kind == "system") {
        auto start = m.text.find("\"event\":\"") + 9;
        out.push_back(m.text.substr(start, m.text.find('"', start) - start));
      }
    return out;
  }
};

TEST_P(GroupTest, CreatorIsAdminAndTheCreationIsTheFirstMessage) {
  auto a = make_user("alice"), b = make_user("bob");
  auto g = make_group(a, {b.user.id});
  EXPECT_EQ(g.kind, "group");
  EXPECT_EQ(g.member_count, 2);
  ASSERT_EQ(g.members.size(), 1u);  // only the viewer's own entry
  EXPECT_EQ(g.members[0].role, "admin");
  EXPECT_EQ(system_events(b, g.id), std::vector<std::string>{"group_created"});
  // Bob's devices and the creator's learn of the group (a group view holds only its viewer).
  ASSERT_EQ(notifier_.conversations.size(), 2u);
  std::vector<int64_t> viewers;
  for (const auto& c : notifier_.conversations) viewers.push_back(c.members.at(0).user.id);
  std::sort(viewers.begin(), viewers.end());
  EXPECT_EQ(viewers, (std::vector<int64_t>{std::min(a.user.id, b.user.id), std::max(a.user.id, b.user.id)}));
}

TEST_P(GroupTest, OnlyAdminsManageMembersAndNonMembersSeeNothing) {
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol"), d = make_user("dave");
  auto g = make_group(a, {b.user.id});
  EXPECT_EQ(add(b, g.id, {c.user.id}).error().code, Errc::kForbidden);
  EXPECT_EQ(remove(b, g.id, a.user.id).error().code, Errc::kForbidden);
  EXPECT_EQ(set_role(b, g.id, b.user.id, "admin").error().code, Errc::kForbidden);
  EXPECT_EQ(send(d, g.id, "d1", "let me in").error().code, Errc::kNotFound);
  EXPECT_EQ(service_->group_members(principal(d), g.id).error().code, Errc::kNotFound);
  EXPECT_EQ(service_->conversation(principal(d), g.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(add(a, g.id, {c.user.id}).ok());
  EXPECT_EQ(service_->group_members(principal(c), g.id)->size(), 3u);
}

TEST_P(GroupTest, LateJoinerSeesHistoryFromTheirJoinOnward) {
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol");
  auto g = make_group(a, {b.user.id});
  ASSERT_TRUE(send(a, g.id, "before", "secret plans").ok());
  ASSERT_TRUE(add(a, g.id, {c.user.id}).ok());
  ASSERT_TRUE(send(b, g.id, "after", "welcome carol").ok());
  store::HistoryQuery q;
  q.conversation_id = g.id;
  q.after = 0;
  auto page = service_->history(principal(c), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].kind, "system");  // "alice added carol"
  EXPECT_EQ(page->items[1].text, "welcome carol");
}

TEST_P(GroupTest, RemovedMemberKeepsHistoryUpToRemovalAndCannotSend) {
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol");
  auto g = make_group(a, {b.user.id, c.user.id});
  ASSERT_TRUE(send(a, g.id, "m1", "one").ok());
  ASSERT_TRUE(remove(a, g.id, c.user.id).ok());
  ASSERT_TRUE(send(a, g.id, "m2", "after carol left").ok());
  EXPECT_EQ(send(c, g.id, "c1", "hello?").error().code, Errc::kNotFound);
  store::HistoryQuery q;
  q.conversation_id = g.id;
  q.after = 0;
  auto page = service_->history(principal(c), q);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->items.empty());
  EXPECT_EQ(page->items.back().kind, "system");  // their removal is the last thing they see
  for (const auto& m : page->items) EXPECT_NE(m.text, "after carol left");
  // The removal event reached carol; the later message did not.
  auto reaches_carol = [&](std::size_t i) {
    const auto& r = notifier_.recipients[i];
    return std::find(r.begin(), r.end(), c.user.id) != r.end();
  };
  ASSERT_GE(notifier_.messages.size(), 2u);
  std::size_t last = notifier_.messages.size() - 1;
  EXPECT_EQ(notifier_.messages[last].text, "after carol left");
  EXPECT_FALSE(reaches_carol(last));
  EXPECT_EQ(notifier_.messages[last - 1].kind, "system");
  EXPECT_TRUE(reaches_carol(last - 1));
}

TEST_P(GroupTest, WhenTheLastAdminLeavesTheLongestStandingMemberIsPromoted) {
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol");
  auto g = make_group(a, {b.user.id});
  ASSERT_TRUE(add(a, g.id, {c.user.id}).ok());
  ASSERT_TRUE(leave(a, g.id).ok());
  auto members = service_->group_members(principal(b), g.id);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].user.id, b.user.id);
  EXPECT_EQ((*members)[0].role, "admin");
  EXPECT_EQ((*members)[1].role, "member");
  auto events = system_events(b, g.id);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2], "member_left");
  EXPECT_EQ(events.back(), "admin_promoted");
}

TEST_P(GroupTest, TheMemberLimitIsEnforcedAndChangesNothing) {
  ChatLimits l = fast_limits();
  l.max_group_members = 3;
  open(l);
  auto a = make_user("alice"), b = make_user("bob"), c = make_user("carol"), d = make_user("dave");
  auto too_big = wait_for<store::ConversationRecord>([&](auto cb) {
    service_->create_group(principal(a), "Big", "", {b.user.id, c.user.id, d.user.id}, cb);
  });
  EXPECT_EQ(too_big.error().code, Errc::kGroupFull);
  auto g = make_group(a, {b.user.id, c.user.id});
  EXPECT_EQ(add(a, g.id, {d.user.id}).error().code, Errc::kGroupFull);
  EXPECT_EQ(service_->group_members(principal(a), g.id)->size(), 3u);
}

TEST_P(GroupTest, AGroupAlwaysKeepsAnAdmin) {
  auto a = make_user("alice"), b = make_user("bob");
  auto g = make_group(a, {b.user.id});
  EXPECT_EQ(set_role(a, g.id, a.user.id, "member").error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(set_role(a, g.id, b.user.id, "admin").ok());
  EXPECT_TRUE(set_role(a, g.id, a.user.id, "member").ok());
  EXPECT_EQ(system_events(b, g.id).back(), "admin_demoted");
}

INSTANTIATE_TEST_SUITE_P(Stores, ChatServiceTest,
                         ::testing::ValuesIn(store::test::store_kinds()),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Stores, GroupTest, ::testing::ValuesIn(store::test::store_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::chat
