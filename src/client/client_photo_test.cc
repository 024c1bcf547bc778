// Photos through libparley against a real parleyd: an upload reports its progress, the photo
// goes through the outbox and reaches the other core with its image object, thumbnails are
// cached on disk within their size bound, and what is not an image is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/json/serialize.hpp>

#include "client/testing/png.h"
#include "client/testing/server_process.h"
#include "client/testing/test_client.h"

namespace parley::client::testing {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class ClientPhotoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  std::string path(const std::string& name) { return server_.scratch() + "/" + name; }
  // Uploads `file` and returns its media_id (asserting the progress reached the total).
  std::string upload(TestClient& c, const std::string& file) {
    auto a = c.call({{"type", "upload_photo"}, {"path", file}});
    EXPECT_EQ(str(a, "type"), "photo") << json::serialize(a);
    auto done = c.wait_for([](const Update& u) {
      return str(u, "type") == "upload_progress" && num(u, "sent") == num(u, "total");
    }, std::chrono::seconds(1));
    EXPECT_EQ(num(done, "total"), static_cast<int64_t>(fs::file_size(file)));
    return a.contains("media") ? str(a.at("media").as_object(), "media_id") : "";
  }
  ServerProcess server_;
};

std::string first_bytes(const std::string& file, size_t n) {
  std::ifstream in(file, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  return s;
}

TEST_F(ClientPhotoTest, AnUploadedPhotoReachesTheOtherCoreAndItsThumbnailIsCached) {
  TestClient alice(server_.url(), path("alice.db"));
  alice.register_user("alice");
  TestClient bob(server_.url(), path("bob.db"));
  bob.register_user("bob");
  const int64_t chat = alice.open_direct("bob");
  ASSERT_TRUE(write_png(path("photo.png"), 400, 300));
  const std::string media_id = upload(alice, path("photo.png"));
  ASSERT_EQ(media_id.size(), 32u);

  auto queued = alice.call({{"type", "send_photo"}, {"chat_id", chat}, {"media_id", media_id}, {"caption", "look"}});
  ASSERT_EQ(str(queued, "type"), "queued") << json::serialize(queued);
  auto got = bob.wait_for([](const Update& u) { return str(u, "type") == "new_message"; });
  ASSERT_EQ(str(got, "type"), "new_message");
  const auto& m = got.at("message").as_object();
  EXPECT_EQ(str(m, "kind"), "image");
  EXPECT_EQ(str(m, "text"), "look");
  ASSERT_TRUE(m.contains("image")) << json::serialize(m);
  EXPECT_EQ(str(m.at("image").as_object(), "media_id"), media_id);
  EXPECT_EQ(num(m.at("image").as_object(), "width"), 400);

  auto thumb = bob.call({{"type", "get_thumbnail"}, {"media_id", media_id}});
  ASSERT_EQ(str(thumb, "type"), "thumbnail") << json::serialize(thumb);
  EXPECT_FALSE(thumb.at("cached").as_bool());
  EXPECT_EQ(first_bytes(str(thumb, "path"), 2), "\xFF\xD8");  // a JPEG
  auto again = bob.call({{"type", "get_thumbnail"}, {"media_id", media_id}});
  EXPECT_TRUE(again.at("cached").as_bool());
  EXPECT_EQ(str(again, "path"), str(thumb, "path"));
  // Stored, the photo message is there offline too, with its image object.
  auto history = bob.call({{"type", "get_history"}, {"chat_id", chat}});
  EXPECT_EQ(str(history.at("messages").as_array()[0].as_object().at("image").as_object(), "media_id"), media_id);
}

TEST_F(ClientPhotoTest, TheThumbnailCacheKeepsWithinItsBoundDroppingTheLeastRecentlyUsed) {
  TestClient alice(server_.url(), path("alice.db"));
  alice.register_user("alice");
  TestClient bob(server_.url(), path("bob.db"), {{"thumbnail_cache_bytes", 1}});
  bob.register_user("bob");
  const int64_t chat = alice.open_direct("bob");
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(write_png(path("p" + std::to_string(i) + ".png"), 64, 64, i + 1));
    ids.push_back(upload(alice, path("p" + std::to_string(i) + ".png")));
    alice.call({{"type", "send_photo"}, {"chat_id", chat}, {"media_id", ids.back()}});
    ASSERT_EQ(str(bob.wait_for_type("new_message"), "type"), "new_message");
  }
  auto first = bob.call({{"type", "get_thumbnail"}, {"media_id", ids[0]}});
  auto second = bob.call({{"type", "get_thumbnail"}, {"media_id", ids[1]}});
  ASSERT_EQ(str(second, "type"), "thumbnail") << json::serialize(second);
  EXPECT_TRUE(fs::exists(str(second, "path")));
  EXPECT_FALSE(fs::exists(str(first, "path")));
}

// With a database key the store is encrypted and thumbnails live inside it: the answer
// carries the bytes (base64) and nothing is written beside the store.
TEST_F(ClientPhotoTest, AnEncryptedStoreKeepsThumbnailsInsideAndAnswersWithTheBytes) {
  TestClient alice(server_.url(), path("alice.db"));
  alice.register_user("alice");
  const std::string key = "a passphrase from the keystore";
  {
    TestClient bob(server_.url(), path("bob.db"), {{"database_key", key}});
    bob.register_user("bob");
    const int64_t chat = alice.open_direct("bob");
    ASSERT_TRUE(write_png(path("secret.png"), 120, 80, 7));
    const std::string media_id = upload(alice, path("secret.png"));
    alice.call({{"type", "send_photo"}, {"chat_id", chat}, {"media_id", media_id}, {"caption", "for your eyes"}});
    ASSERT_EQ(str(bob.wait_for_type("new_message"), "type"), "new_message");
    auto thumb = bob.call({{"type", "get_thumbnail"}, {"media_id", media_id}});
    ASSERT_EQ(str(thumb, "type"), "thumbnail") << json::serialize(thumb);
    EXPECT_FALSE(thumb.contains("path"));
    EXPECT_EQ(str(thumb, "data").substr(0, 4), "/9j/");  // base64 of a JPEG's FF D8 FF
    EXPECT_FALSE(thumb.at("cached").as_bool());
    auto again = bob.call({{"type", "get_thumbnail"}, {"media_id", media_id}});
    EXPECT_TRUE(again.at("cached").as_bool());
    EXPECT_EQ(str(again, "data"), str(thumb, "data"));
    EXPECT_FALSE(fs::exists(path("bob.db.thumbnails")));
  }
  // The same file does not start without the key, nor with another one.
  for (const char* wrong : {"", "not the passphrase"}) {
    Update options;
    if (*wrong) options["database_key"] = wrong;
    TestClient attempt(server_.url(), path("bob.db"), options, false);
    const Update& refused = attempt.start_answer();
    EXPECT_EQ(str(refused, "type"), "error") << json::serialize(refused);
    EXPECT_EQ(str(refused, "code"), "invalid_credentials") << json::serialize(refused);
  }
  TestClient bob(server_.url(), path("bob.db"), {{"database_key", key}});
  auto history = bob.call({{"type", "get_history"}, {"chat_id", 1}});
  ASSERT_EQ(history.at("messages").as_array().size(), 1u) << json::serialize(history);
  EXPECT_EQ(str(history.at("messages").as_array()[0].as_object(), "text"), "for your eyes");
}

TEST_F(ClientPhotoTest, WhatIsNotAnImageIsRefusedAndABadMediaIdNeverLeavesTheCore) {
  TestClient alice(server_.url(), path("alice.db"));
  alice.register_user("alice");
  std::ofstream(path("notes.txt")) << "not a photo";
  EXPECT_EQ(str(alice.call({{"type", "upload_photo"}, {"path", path("notes.txt")}}), "code"), "unsupported_media");
  EXPECT_EQ(str(alice.call({{"type", "upload_photo"}, {"path", path("missing.png")}}), "code"), "invalid_argument");
  EXPECT_EQ(str(alice.call({{"type", "get_thumbnail"}, {"media_id", "../../etc/passwd"}}), "code"), "invalid_argument");
}

}  // namespace
}  // namespace parley::client::testing
