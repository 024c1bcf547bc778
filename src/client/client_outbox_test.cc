// The outbox survives the app being killed: messages queued (and possibly half sent) by a
// process killed with SIGKILL are sent by the next run, each exactly once, in order.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <boost/json/serialize.hpp>

#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

namespace json = boost::json;
constexpr int kMessages = 50;

class ClientOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  std::string db(const std::string& name) { return server_.scratch() + "/" + name + ".db"; }

  // Runs the helper process that queues kMessages into `chat`, waits until it says every
  // message is stored, and kills it with SIGKILL.
  void queue_and_kill(int64_t chat) {
    const char* helper = std::getenv("PARLEY_OUTBOX_HELPER");
    ASSERT_NE(helper, nullptr);
    const std::string url = server_.url(), database = db("alice"), chat_id = std::to_string(chat),
                      count = std::to_string(kMessages);
    const char* argv[] = {helper, url.c_str(), database.c_str(), chat_id.c_str(), count.c_str(), nullptr};
    int out = -1;
    const pid_t pid = spawn_with_stdout(argv, &out);
    ASSERT_GT(pid, 0);
    std::string line;
    const bool said = read_line(out, &line, 60000);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    close(out);
    ASSERT_TRUE(said && line == "queued") << "the helper did not queue its messages";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }

  // Bob's view of the chat from the server, once alice's restarted core has sent everything:
  // exactly m0..m49 at seqs 1..50.
  void expect_each_message_once_in_order(int64_t chat) {
    TestClient alice(server_.url(), db("alice"));
    alice.call({{"type", "network_changed"}});
    for (int sent = 0; sent < kMessages;) {
      auto u = alice.wait_for([](const Update& x) {
        return str(x, "type") == "message_state" && (str(x, "state") == "sent" || str(x, "state") == "failed");
      }, std::chrono::seconds(60));
      ASSERT_EQ(str(u, "state"), "sent") << json::serialize(u);
      // Messages the killed run had already sent may have been stored by its sync instead.
      auto pending = alice.call({{"type", "get_chat"}, {"chat_id", chat}}).at("chat").as_object();
      sent = kMessages - static_cast<int>(num(pending, "pending"));
    }
    TestClient bob(server_.url(), db("bob"));
    // Bob's store may still be syncing — it may not even know the chat yet (his first core
    // could have ended before the chat reached it: then get_history is not_found until the
    // sync brings it); the server's answer comes through history.
    Update history;
    for (int i = 0; i < 100; ++i) {
      history = bob.call({{"type", "get_history"}, {"chat_id", chat}, {"limit", 200}});
      if (str(history, "type") == "messages" && history.at("messages").as_array().size() >= kMessages) break;
      bob.wait_for_type("sync_done", std::chrono::seconds(1));
    }
    ASSERT_EQ(str(history, "type"), "messages") << json::serialize(history);
    const auto& msgs = history.at("messages").as_array();
    ASSERT_EQ(msgs.size(), static_cast<size_t>(kMessages)) << json::serialize(history);
    for (int i = 0; i < kMessages; ++i) {
      EXPECT_EQ(num(msgs[i].as_object(), "seq"), i + 1);
      EXPECT_EQ(str(msgs[i].as_object(), "text"), "m" + std::to_string(i));
    }
  }

  ServerProcess server_;
};

TEST_F(ClientOutboxTest, MessagesQueuedOfflineByAKilledAppArriveOnceInOrderAfterRestart) {
  int64_t chat = 0;
  {
    TestClient alice(server_.url(), db("alice"));
    alice.register_user("alice");
    TestClient bob(server_.url(), db("bob"));
    bob.register_user("bob");
    chat = alice.open_direct("bob");
  }
  server_.stop();
  queue_and_kill(chat);
  ASSERT_TRUE(server_.start());
  expect_each_message_once_in_order(chat);
}

TEST_F(ClientOutboxTest, AnAppKilledWhileSendingNeitherLosesNorDuplicatesMessages) {
  int64_t chat = 0;
  {
    TestClient alice(server_.url(), db("alice"));
    alice.register_user("alice");
    TestClient bob(server_.url(), db("bob"));
    bob.register_user("bob");
    chat = alice.open_direct("bob");
  }
  queue_and_kill(chat);  // the server is up: the helper was sending when it died
  expect_each_message_once_in_order(chat);
}

TEST_F(ClientOutboxTest, AServerRestartWhileSendingNeitherLosesNorDuplicatesMessages) {
  TestClient alice(server_.url(), db("alice"));
  alice.register_user("alice");
  TestClient bob(server_.url(), db("bob"));
  bob.register_user("bob");
  const int64_t chat = alice.open_direct("bob");
  for (int i = 0; i < kMessages; ++i) alice.send_text(chat, "m" + std::to_string(i));
  // Restart as soon as the first message is acknowledged: the rest are mid-flight or queued.
  ASSERT_EQ(str(alice.wait_for([](const Update& u) {
    return str(u, "type") == "message_state" && str(u, "state") == "sent";
  }), "state"), "sent");
  server_.stop();
  ASSERT_TRUE(server_.start());
  alice.call({{"type", "network_changed"}});
  bob.call({{"type", "network_changed"}});
  std::vector<int64_t> seqs;
  while (seqs.size() < static_cast<size_t>(kMessages)) {
    auto u = bob.wait_for([](const Update& x) { return str(x, "type") == "new_message"; }, std::chrono::seconds(60));
    ASSERT_EQ(str(u, "type"), "new_message") << "got " << seqs.size() << " messages";
    const auto& m = u.at("message").as_object();
    EXPECT_EQ(str(m, "text"), "m" + std::to_string(num(m, "seq") - 1));
    seqs.push_back(num(m, "seq"));
  }
  std::sort(seqs.begin(), seqs.end());
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(seqs[i], i + 1);  // each once
  // Alice's core learns of the last acknowledgements (and empties its outbox) too.
  for (int i = 0; i < 100; ++i) {
    auto view = alice.call({{"type", "get_chat"}, {"chat_id", chat}}).at("chat").as_object();
    if (num(view, "pending") == 0) break;
    alice.wait_for([](const Update& x) { return str(x, "type") == "message_state"; }, std::chrono::seconds(1));
  }
  auto chat_view = alice.call({{"type", "get_chat"}, {"chat_id", chat}}).at("chat").as_object();
  EXPECT_EQ(num(chat_view, "pending"), 0);
  EXPECT_EQ(num(chat_view, "last_seq"), kMessages);
}

}  // namespace
}  // namespace parley::client::testing
