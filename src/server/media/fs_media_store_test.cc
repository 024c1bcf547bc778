#include "server/media/fs_media_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace parley::media {
namespace {

namespace fs = std::filesystem;

class FsMediaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-media-test-" + std::to_string(std::random_device{}()));
    auto s = open_fs_media_store(dir_.string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read_all(std::string_view key) {
    auto r = store_->open(key);
    EXPECT_TRUE(r.ok());
    std::string out((*r)->size(), '\0');
    auto n = (*r)->read(0, out.data(), out.size());
    EXPECT_TRUE(n.ok());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<MediaStore> store_;
};

const std::string kKey(64, 'a');

TEST_F(FsMediaStoreTest, PutThenReadAtAnyOffset) {
  ASSERT_TRUE(store_->put(kKey, "hello, world").ok());
  EXPECT_EQ(read_all(kKey), "hello, world");
  auto r = store_->open(kKey);
  ASSERT_TRUE(r.ok());
  char buf[5];
  auto n = (*r)->read(7, buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");
}

TEST_F(FsMediaStoreTest, PuttingTheSameBlobTwiceKeepsOneFile) {
  ASSERT_TRUE(store_->put(kKey, "bytes").ok());
  ASSERT_TRUE(store_->put(kKey, "bytes").ok());
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "blobs"))
    if (e.is_regular_file()) ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(FsMediaStoreTest, RemovedAndUnknownBlobsAreNotFound) {
  ASSERT_TRUE(store_->put(kKey, "bytes").ok());
  ASSERT_TRUE(store_->remove(kKey).ok());
  EXPECT_EQ(store_->open(kKey).error().code, Errc::kNotFound);
  EXPECT_TRUE(store_->remove(kKey).ok());
  EXPECT_EQ(store_->open("../../etc/passwd").error().code, Errc::kNotFound);
  EXPECT_FALSE(store_->put("../../etc/x", "bytes").ok());
}

TEST_F(FsMediaStoreTest, StagedBytesAreDiscardedWithTheUpload) {
  std::string path;
  {
    auto staged = store_->stage();
    ASSERT_TRUE(staged.ok());
    ASSERT_TRUE((*staged)->write("abc").ok());
    ASSERT_TRUE((*staged)->write("def").ok());
    ASSERT_TRUE((*staged)->close().ok());
    EXPECT_EQ((*staged)->size(), 6u);
    path = (*staged)->local_path();
    std::ifstream in(path);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "abcdef");
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace parley::media
