// What a core does without its server: reading, searching and queueing from the local
// store, and catching up after the server comes back.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <boost/json/serialize.hpp>

#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

namespace json = boost::json;

bool waits_to_reconnect(TestClient& c) {
  auto u = c.wait_for([](const Update& x) {
    return str(x, "type") == "connection_state" && str(x, "state") == "waiting";
  });
  return str(u, "type") == "connection_state";
}

class ClientOfflineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  std::string db(const std::string& name) { return server_.scratch() + "/" + name + ".db"; }
  ServerProcess server_;
};

TEST_F(ClientOfflineTest, ReadingAndSearchingWorkWithTheServerStoppedEvenAfterARestartOfTheApp) {
  int64_t chat = 0;
  {
    TestClient alice(server_.url(), db("alice"));
    alice.register_user("alice");
    TestClient bob(server_.url(), db("bob"));
    bob.register_user("bob");
    chat = alice.open_direct("bob");
    alice.send_text(chat, "the pizza place on Main street");
    alice.send_text(chat, "see you at the Café");
    ASSERT_EQ(str(new_message_with(bob, "see you at the Café"), "type"), "new_message");
    server_.stop();
    ASSERT_TRUE(waits_to_reconnect(bob));
    auto hits = bob.call({{"type", "search"}, {"query", "piz"}});
    ASSERT_EQ(hits.at("results").as_array().size(), 1u) << json::serialize(hits);
  }
  // A cold start with no server: everything comes from the store.
  TestClient bob(server_.url(), db("bob"));
  auto chats = bob.call({{"type", "get_chats"}}).at("chats").as_array();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(num(chats[0].as_object(), "unread"), 2);
  EXPECT_EQ(str(chats[0].as_object(), "title"), "alice");
  auto history = bob.call({{"type", "get_history"}, {"chat_id", chat}});
  const auto& msgs = history.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(str(msgs[0].as_object(), "text"), "the pizza place on Main street");
  EXPECT_FALSE(history.at("from_server").as_bool());
  auto hits = bob.call({{"type", "search"}, {"query", "cafe"}});
  ASSERT_EQ(hits.at("results").as_array().size(), 1u);
  EXPECT_EQ(str(hits.at("results").as_array()[0].as_object(), "snippet"), "see you at the [Café]");
  // Reading offline is remembered and reaches the server once it is back.
  EXPECT_EQ(str(bob.call({{"type", "mark_read"}, {"chat_id", chat}}), "type"), "ok");
  EXPECT_EQ(num(bob.call({{"type", "get_chat"}, {"chat_id", chat}}).at("chat").as_object(), "unread"), 0);
  ASSERT_TRUE(server_.start());
  bob.call({{"type", "network_changed"}});
  TestClient alice(server_.url(), db("alice"));
  auto read = alice.wait_for([](const Update& u) {
    return str(u, "type") == "message_state" && str(u, "state") == "read" && num(u, "seq") == 2;
  });
  EXPECT_EQ(str(read, "type"), "message_state") << "alice never saw her messages read";
}

TEST_F(ClientOfflineTest, MessagesWrittenWhileTheServerIsDownAreSentWhenItReturns) {
  TestClient alice(server_.url(), db("alice"));
  alice.register_user("alice");
  TestClient bob(server_.url(), db("bob"));
  bob.register_user("bob");
  const int64_t chat = alice.open_direct("bob");
  server_.stop();
  ASSERT_TRUE(waits_to_reconnect(alice));
  alice.send_text(chat, "written offline 1");
  alice.send_text(chat, "written offline 2");
  auto chats = alice.call({{"type", "get_chats"}}).at("chats").as_array();
  EXPECT_EQ(num(chats[0].as_object(), "pending"), 2);
  ASSERT_TRUE(server_.start());
  alice.call({{"type", "network_changed"}});  // retry now rather than after the backoff
  bob.call({{"type", "network_changed"}});
  // Bob learns each message from its event or from his sync after reconnecting, whichever
  // comes first, so the second may reach him before the first: in any order, each once, in
  // seq order as written.
  std::map<std::string, int64_t> seqs;  // text -> seq
  while (seqs.size() < 2) {
    auto got = bob.wait_for([](const Update& u) {
      if (str(u, "type") != "new_message") return false;
      const std::string text = str(u.at("message").as_object(), "text");
      return text == "written offline 1" || text == "written offline 2";
    });
    ASSERT_EQ(str(got, "type"), "new_message") << "bob has " << seqs.size() << " of the 2 messages";
    const json::object& m = got.at("message").as_object();
    EXPECT_TRUE(seqs.emplace(str(m, "text"), num(m, "seq")).second) << "announced twice: " << str(m, "text");
  }
  EXPECT_EQ(seqs["written offline 1"], 1);
  EXPECT_EQ(seqs["written offline 2"], 2);
}

TEST_F(ClientOfflineTest, AServerRestartIsFollowedByAReconnectWithoutHelp) {
  TestClient alice(server_.url(), db("alice"));
  alice.register_user("alice");
  ASSERT_EQ(str(alice.wait_for([](const Update& u) {
    return str(u, "type") == "connection_state" && str(u, "state") == "ready";
  }), "type"), "connection_state");
  server_.stop();
  auto waiting = alice.wait_for([](const Update& u) {
    return str(u, "type") == "connection_state" && str(u, "state") == "waiting";
  });
  ASSERT_EQ(str(waiting, "type"), "connection_state");
  EXPECT_LE(num(waiting, "retry_in_ms"), 500);  // the first wait is within the base
  ASSERT_TRUE(server_.start());
  auto ready = alice.wait_for([](const Update& u) {
    return str(u, "type") == "connection_state" && str(u, "state") == "ready";
  }, std::chrono::seconds(60));
  EXPECT_EQ(str(ready, "type"), "connection_state");
}

}  // namespace
}  // namespace parley::client::testing
