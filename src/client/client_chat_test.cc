// Two and three libparley cores against a real parleyd: messages, their states, receipts,
// unread counts and groups.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

namespace json = boost::json;

// The states the sender's core reports for one message, in order, until `last` (or timeout).
std::vector<std::string> states_until(TestClient& c, const std::string& client_id, const std::string& last) {
  std::vector<std::string> states;
  for (;;) {
    auto u = c.wait_for([&](const Update& x) {
      return str(x, "type") == "message_state" && str(x, "client_id") == client_id;
    });
    if (str(u, "type") == "timeout") return states;
    states.push_back(str(u, "state"));
    if (states.back() == last) return states;
  }
}

Update chat_of(TestClient& c, int64_t chat_id) {
  auto a = c.call({{"type", "get_chat"}, {"chat_id", chat_id}});
  return a.contains("chat") ? a.at("chat").as_object() : a;
}

class ClientChatTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  std::unique_ptr<TestClient> client(const std::string& name) {
    auto c = std::make_unique<TestClient>(server_.url(), server_.scratch() + "/" + name + ".db");
    c->register_user(name);
    return c;
  }
  ServerProcess server_;
};

TEST_F(ClientChatTest, TheSenderSeesSendingSentDeliveredReadInOrder) {
  auto alice = client("alice");
  auto bob = client("bob");
  const int64_t chat = alice->open_direct("bob");
  const std::string cid = alice->send_text(chat, "hello bob");

  auto got = new_message_with(*bob, "hello bob");
  ASSERT_EQ(str(got, "type"), "new_message");
  const auto& m = got.at("message").as_object();
  EXPECT_EQ(num(m, "chat_id"), chat);
  EXPECT_EQ(num(m, "seq"), 1);
  EXPECT_EQ(str(m, "sender"), "alice");

  EXPECT_EQ((states_until(*alice, cid, "delivered")), (std::vector<std::string>{"sending", "sent", "delivered"}));
  EXPECT_EQ(str(bob->call({{"type", "mark_read"}, {"chat_id", chat}}), "type"), "ok");
  EXPECT_EQ((states_until(*alice, cid, "read")), (std::vector<std::string>{"read"}));

  auto history = alice->call({{"type", "get_history"}, {"chat_id", chat}});
  ASSERT_EQ(history.at("messages").as_array().size(), 1u);
  EXPECT_EQ(str(history.at("messages").as_array()[0].as_object(), "state"), "read");
}

TEST_F(ClientChatTest, ReadReceiptsMoveUnreadCountsAndOnlyTheReadMessagesBecomeRead) {
  auto alice = client("alice");
  auto bob = client("bob");
  const int64_t chat = alice->open_direct("bob");
  std::vector<std::string> cids;
  for (int i = 1; i <= 3; ++i) cids.push_back(alice->send_text(chat, "m" + std::to_string(i)));
  ASSERT_EQ(str(new_message_with(*bob, "m3"), "type"), "new_message");
  EXPECT_EQ(num(chat_of(*bob, chat), "unread"), 3);

  EXPECT_EQ(str(bob->call({{"type", "mark_read"}, {"chat_id", chat}, {"seq", 2}}), "type"), "ok");
  EXPECT_EQ(num(chat_of(*bob, chat), "unread"), 1);  // at once, from the local store
  EXPECT_EQ((states_until(*alice, cids[1], "read")).back(), "read");

  auto history = alice->call({{"type", "get_history"}, {"chat_id", chat}});
  const auto& msgs = history.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(str(msgs[0].as_object(), "state"), "read");
  EXPECT_EQ(str(msgs[1].as_object(), "state"), "read");
  EXPECT_NE(str(msgs[2].as_object(), "state"), "read");
  EXPECT_EQ(num(chat_of(*alice, chat), "min_read_seq"), 2);
}

TEST_F(ClientChatTest, AReplyArrivesAndTheChatListPutsTheLatestActivityFirst) {
  auto alice = client("alice");
  auto bob = client("bob");
  auto carol = client("carol");
  const int64_t with_bob = alice->open_direct("bob");
  const int64_t with_carol = alice->open_direct("carol");
  alice->send_text(with_bob, "to bob");
  ASSERT_EQ(str(new_message_with(*bob, "to bob"), "type"), "new_message");
  alice->send_text(with_carol, "to carol");
  ASSERT_EQ(str(new_message_with(*carol, "to carol"), "type"), "new_message");
  bob->send_text(with_bob, "reply from bob");
  ASSERT_EQ(str(new_message_with(*alice, "reply from bob"), "type"), "new_message");

  auto chats = alice->call({{"type", "get_chats"}}).at("chats").as_array();
  ASSERT_EQ(chats.size(), 2u);
  EXPECT_EQ(num(chats[0].as_object(), "id"), with_bob);
  EXPECT_EQ(num(chats[0].as_object(), "unread"), 1);
  EXPECT_EQ(str(chats[0].as_object().at("last_message").as_object(), "text"), "reply from bob");
  EXPECT_EQ(num(chats[1].as_object(), "id"), with_carol);
  EXPECT_EQ(num(chats[1].as_object(), "unread"), 0);
}

TEST_F(ClientChatTest, GroupMessagesReachEveryMemberAndAreReadOnlyWhenEveryoneRead) {
  auto alice = client("alice");
  auto bob = client("bob");
  auto carol = client("carol");
  auto created = alice->call({{"type", "create_group"}, {"name", "Climbing"}, {"members", json::array{"bob", "carol"}}});
  ASSERT_EQ(str(created, "type"), "chat") << json::serialize(created);
  const int64_t group = num(created.at("chat").as_object(), "id");
  EXPECT_EQ(str(created.at("chat").as_object(), "title"), "Climbing");
  EXPECT_EQ(str(created.at("chat").as_object(), "kind"), "group");

  const std::string cid = alice->send_text(group, "saturday?");
  ASSERT_EQ(str(new_message_with(*bob, "saturday?"), "type"), "new_message");
  ASSERT_EQ(str(new_message_with(*carol, "saturday?"), "type"), "new_message");
  EXPECT_EQ((states_until(*alice, cid, "delivered")).back(), "delivered");

  EXPECT_EQ(str(bob->call({{"type", "mark_read"}, {"chat_id", group}}), "type"), "ok");
  // Only bob has read it: not "read" (by all) yet.
  auto history = alice->call({{"type", "get_history"}, {"chat_id", group}});
  for (const auto& m : history.at("messages").as_array()) {
    if (str(m.as_object(), "client_id") == cid) {
      EXPECT_NE(str(m.as_object(), "state"), "read");
    }
  }
  EXPECT_EQ(str(carol->call({{"type", "mark_read"}, {"chat_id", group}}), "type"), "ok");
  EXPECT_EQ((states_until(*alice, cid, "read")).back(), "read");

  // The group, with its "alice created the group" line, is in everyone's list.
  auto carols = carol->call({{"type", "get_history"}, {"chat_id", group}}).at("messages").as_array();
  ASSERT_EQ(carols.size(), 2u);
  EXPECT_EQ(str(carols[0].as_object(), "kind"), "system");
  EXPECT_EQ(str(carols[1].as_object(), "text"), "saturday?");
}

TEST_F(ClientChatTest, AnAdminAddsRenamesAndRemovesAndEveryCoreFollows) {
  auto alice = client("alice");
  auto bob = client("bob");
  auto carol = client("carol");
  auto created = alice->call({{"type", "create_group"}, {"name", "Climbing"}, {"members", json::array{"bob"}}});
  const int64_t group = num(created.at("chat").as_object(), "id");
  auto added = alice->call({{"type", "add_members"}, {"chat_id", group}, {"members", json::array{"carol"}}});
  ASSERT_EQ(str(added, "type"), "chat") << json::serialize(added);
  EXPECT_EQ(num(added.at("chat").as_object(), "member_count"), 3);
  auto carol_sees = carol->wait_for([&](const Update& u) {
    return str(u, "type") == "chat_updated" && num(u.at("chat").as_object(), "id") == group;
  });
  EXPECT_EQ(str(carol_sees.at("chat").as_object(), "title"), "Climbing");

  ASSERT_EQ(str(alice->call({{"type", "rename_group"}, {"chat_id", group}, {"name", "Bouldering"}}), "type"), "chat");
  auto renamed = bob->wait_for([&](const Update& u) {
    return str(u, "type") == "chat_updated" && str(u.at("chat").as_object(), "title") == "Bouldering";
  });
  EXPECT_EQ(str(renamed, "type"), "chat_updated") << "bob's core did not learn the new name";

  const int64_t bob_id = num(bob->call({{"type", "get_state"}}), "user_id");
  EXPECT_EQ(str(alice->call({{"type", "remove_member"}, {"chat_id", group}, {"user_id", bob_id}}), "type"), "ok");
  auto left = bob->wait_for([&](const Update& u) {
    return str(u, "type") == "chat_updated" && num(u.at("chat").as_object(), "id") == group &&
           u.at("chat").as_object().at("left").as_bool();
  });
  EXPECT_EQ(str(left, "type"), "chat_updated") << "bob's core did not learn he was removed";
  // Carol, not an admin, cannot rename.
  EXPECT_EQ(str(carol->call({{"type", "rename_group"}, {"chat_id", group}, {"name", "Mine"}}), "code"), "forbidden");
}

TEST_F(ClientChatTest, APermanentErrorFailsTheMessageAndLaterMessagesStillGo) {
  auto alice = client("alice");
  auto bob = client("bob");
  auto created = alice->call({{"type", "create_group"}, {"name", "Gone"}, {"members", json::array{"bob"}}});
  const int64_t group = num(created.at("chat").as_object(), "id");
  EXPECT_EQ(str(alice->call({{"type", "leave_group"}, {"chat_id", group}}), "type"), "ok");
  const int64_t chat = alice->open_direct("bob");
  // Sent to a group alice has left: the server refuses it for good (not_found).
  const std::string bad = alice->send_text(group, "into the void");
  const std::string good = alice->send_text(chat, "good one");
  auto failed = alice->wait_for([&](const Update& u) {
    return str(u, "type") == "message_state" && str(u, "client_id") == bad && str(u, "state") == "failed";
  });
  EXPECT_EQ(str(failed, "error"), "not_found") << json::serialize(failed);
  ASSERT_EQ(str(new_message_with(*bob, "good one"), "type"), "new_message");
  auto history = alice->call({{"type", "get_history"}, {"chat_id", group}});
  ASSERT_EQ(history.at("outbox").as_array().size(), 1u);
  EXPECT_EQ(str(history.at("outbox").as_array()[0].as_object(), "state"), "failed");
  EXPECT_TRUE(chat_of(*alice, group).at("left").as_bool());
}

TEST_F(ClientChatTest, EditsAndDeletionsReachTheOtherCoreAndItsLocalSearch) {
  auto alice = client("alice");
  auto bob = client("bob");
  const int64_t chat = alice->open_direct("bob");
  alice->send_text(chat, "meet at noon");
  ASSERT_EQ(str(new_message_with(*bob, "meet at noon"), "type"), "new_message");
  auto edited = alice->call({{"type", "edit_message"}, {"chat_id", chat}, {"seq", 1}, {"text", "meet at dusk"}});
  ASSERT_EQ(str(edited, "type"), "message") << json::serialize(edited);
  EXPECT_TRUE(edited.at("changed").as_bool());
  auto changed = bob->wait_for([](const Update& u) {
    return str(u, "type") == "message_updated" && str(u.at("message").as_object(), "text") == "meet at dusk";
  });
  ASSERT_EQ(str(changed, "type"), "message_updated");
  EXPECT_GT(num(changed.at("message").as_object(), "edited_at"), 0);
  EXPECT_TRUE(bob->call({{"type", "search"}, {"query", "noon"}}).at("results").as_array().empty());
  EXPECT_EQ(bob->call({{"type", "search"}, {"query", "dusk"}}).at("results").as_array().size(), 1u);

  EXPECT_EQ(str(alice->call({{"type", "delete_message"}, {"chat_id", chat}, {"seq", 1}, {"for", "everyone"}}), "type"), "ok");
  auto deleted = bob->wait_for([](const Update& u) {
    return str(u, "type") == "message_updated" && u.at("message").as_object().contains("deleted");
  });
  ASSERT_EQ(str(deleted, "type"), "message_updated");
  EXPECT_EQ(str(deleted.at("message").as_object(), "text"), "");
  EXPECT_TRUE(bob->call({{"type", "search"}, {"query", "dusk"}}).at("results").as_array().empty());
  // Someone else's message cannot be edited.
  bob->send_text(chat, "mine");
  ASSERT_EQ(str(new_message_with(*alice, "mine"), "type"), "new_message");
  EXPECT_EQ(str(alice->call({{"type", "edit_message"}, {"chat_id", chat}, {"seq", 2}, {"text", "x"}}), "code"), "forbidden");
}

TEST_F(ClientChatTest, TypingAndPresenceReachThePeer) {
  auto alice = client("alice");
  auto bob = client("bob");
  const int64_t alice_id = num(alice->call({{"type", "get_state"}}), "user_id");
  const int64_t chat = alice->open_direct("bob");
  // Bob is online once he learned of the chat (from the server's event or his sync).
  ASSERT_EQ(str(bob->wait_for([&](const Update& u) {
    return str(u, "type") == "chat_updated" && num(u.at("chat").as_object(), "id") == chat;
  }), "type"), "chat_updated");
  EXPECT_EQ(str(alice->call({{"type", "send_typing"}, {"chat_id", chat}, {"state", "start"}}), "type"), "ok");
  auto typing = bob->wait_for_type("typing");
  EXPECT_EQ(num(typing, "user_id"), alice_id);
  EXPECT_EQ(num(typing, "chat_id"), chat);
  EXPECT_EQ(str(typing, "state"), "start");
  auto presence = bob->call({{"type", "subscribe_presence"}, {"user_ids", json::array{alice_id}}});
  ASSERT_EQ(str(presence, "type"), "presence") << json::serialize(presence);
  ASSERT_EQ(presence.at("users").as_array().size(), 1u);
  EXPECT_TRUE(presence.at("users").as_array()[0].as_object().at("online").as_bool());
}

TEST_F(ClientChatTest, ContactsAndBlockingWorkAndABlockedSendersMessageLooksSentButNeverArrives) {
  auto alice = client("alice");
  auto bob = client("bob");
  const int64_t alice_id = num(alice->call({{"type", "get_state"}}), "user_id");
  auto found = alice->call({{"type", "find_users"}, {"prefix", "bo"}});
  ASSERT_EQ(str(found, "type"), "users") << json::serialize(found);
  ASSERT_EQ(found.at("users").as_array().size(), 1u);
  const int64_t bob_id = num(found.at("users").as_array()[0].as_object(), "id");
  auto added = alice->call({{"type", "add_contact"}, {"user_id", bob_id}, {"nickname", "Bobby"}});
  ASSERT_EQ(str(added, "type"), "contact") << json::serialize(added);
  auto contacts = alice->call({{"type", "get_contacts"}}).at("contacts").as_array();
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(str(contacts[0].as_object(), "nickname"), "Bobby");
  EXPECT_EQ(str(alice->call({{"type", "remove_contact"}, {"user_id", bob_id}}), "type"), "ok");
  EXPECT_TRUE(alice->call({{"type", "get_contacts"}}).at("contacts").as_array().empty());

  const int64_t chat = alice->open_direct("bob");
  EXPECT_EQ(str(bob->call({{"type", "block_user"}, {"user_id", alice_id}}), "type"), "ok");
  EXPECT_EQ(bob->call({{"type", "get_blocked"}}).at("users").as_array().size(), 1u);
  const std::string cid = alice->send_text(chat, "can you hear me?");
  // A blocked sender learns nothing: his message is acknowledged (sent) and withheld.
  auto sent = alice->wait_for([&](const Update& u) {
    return str(u, "type") == "message_state" && str(u, "client_id") == cid && str(u, "state") != "sending";
  });
  EXPECT_EQ(str(sent, "state"), "sent") << json::serialize(sent);
  // Unblocked, later messages arrive; the withheld one never does (events come in seq order,
  // so it would have come before this one).
  EXPECT_EQ(str(bob->call({{"type", "unblock_user"}, {"user_id", alice_id}}), "type"), "ok");
  alice->send_text(chat, "after the unblock");
  bool withheld_arrived = false;
  auto got = bob->wait_for([&](const Update& u) {
    if (str(u, "type") != "new_message") return false;
    const std::string text = str(u.at("message").as_object(), "text");
    if (text == "can you hear me?") withheld_arrived = true;
    return text == "after the unblock";
  });
  EXPECT_EQ(str(got, "type"), "new_message");
  EXPECT_FALSE(withheld_arrived);
}

TEST_F(ClientChatTest, RequestsWithBadFieldsAreAnsweredWithProtocolErrors) {
  auto alice = client("alice");
  EXPECT_EQ(str(alice->call({{"type", "send_message"}, {"chat_id", 999}, {"text", "x"}}), "code"), "not_found");
  EXPECT_EQ(str(alice->call({{"type", "send_message"}, {"chat_id", "x"}}), "code"), "bad_request");
  EXPECT_EQ(str(alice->call({{"type", "no_such_request"}}), "code"), "bad_request");
  EXPECT_EQ(str(alice->call({{"type", "open_direct"}, {"username", "nobody_here"}}), "code"), "not_found");
  EXPECT_EQ(str(alice->call({{"type", "login"}, {"username", "alice"}, {"password", "wrong-password"}}), "code"),
            "invalid_credentials");
}

}  // namespace
}  // namespace parley::client::testing
