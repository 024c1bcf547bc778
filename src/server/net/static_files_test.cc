#include "server/net/static_files.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace parley::net {
namespace {

namespace fs = std::filesystem;

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("parley-static-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<html></html>";
    std::ofstream(root_ / "assets" / "app-1234.js") << "x";
    std::ofstream(root_ / "sw.js") << "y";
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(StaticFiles, ServesFilesWithTypesAndMarksHashedAssetsImmutable) {
  auto js = resolve_static(root_.string(), "/assets/app-1234.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  auto sw = resolve_static(root_.string(), "/sw.js");
  ASSERT_TRUE(sw);
  EXPECT_FALSE(sw->immutable);  // a service worker must be revalidated
}

TEST_F(StaticFiles, ClientRoutesGetIndexButMissingFilesDoNot) {
  auto route = resolve_static(root_.string(), "/chats/7");
  ASSERT_TRUE(route);
  EXPECT_EQ(fs::path(route->path).filename(), "index.html");
  EXPECT_FALSE(resolve_static(root_.string(), "/missing.js"));
}

TEST_F(StaticFiles, RefusesTraversal) {
  EXPECT_FALSE(resolve_static(root_.string(), "/../etc/passwd"));
  EXPECT_FALSE(resolve_static(root_.string(), "/assets/..%2f..%2fetc"));
  EXPECT_FALSE(resolve_static(root_.string(), "relative"));
}

}  // namespace
}  // namespace parley::net
