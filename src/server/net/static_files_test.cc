#include "server/net/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace parley::net {
namespace {

namespace fs = std::filesystem;

// A web root with a few files, and beside it (outside the root) a directory of secrets
// that symbolic links inside the root point at.
class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("parley-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    root_ = base_ / "web";
    outside_ = base_ / "outside";
    fs::create_directories(root_ / "assets");
    fs::create_directories(outside_ / "a");
    std::ofstream(root_ / "index.html") << "<html></html>";
    std::ofstream(root_ / "assets" / "app-1234.js") << "x";
    std::ofstream(root_ / "sw.js") << "y";
    std::ofstream(root_ / ".env") << "hidden";
    std::ofstream(root_ / "a.txt") << "inside";
    std::ofstream(outside_ / "a.txt") << "secret";
    std::ofstream(outside_ / "a" / "a.txt") << "secret";
    std::ofstream(base_ / "webx.txt") << "secret";
    fs::create_directories(base_ / "webx");
    std::ofstream(base_ / "webx" / "a.txt") << "secret";
    // Links inside the root that lead out of it (a directory and a file), one that stays in.
    fs::create_directory_symlink(outside_, root_ / "out");
    fs::create_directory_symlink(outside_ / "a", root_ / "e");
    fs::create_symlink(outside_ / "a.txt", root_ / "leak.txt");
    fs::create_symlink(root_ / "a.txt", root_ / "in.txt");
    fs::create_directory_symlink("../webx", root_ / "x");
  }
  void TearDown() override { fs::remove_all(base_); }

  // Every answer must be nothing or a regular file inside the canonical root.
  void ExpectInsideRoot(std::string_view url) {
    auto f = resolve_static(root_.string(), url);
    if (!f) return;
    std::error_code ec;
    fs::path p = fs::canonical(f->path, ec);
    ASSERT_FALSE(ec) << "path " << f->path << " for " << testing::PrintToString(std::string(url));
    ASSERT_TRUE(fs::is_regular_file(p)) << p;
    fs::path root = fs::canonical(root_);
    auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
    ASSERT_EQ(r, root.end()) << p << " is outside " << root << " for "
                             << testing::PrintToString(std::string(url));
    std::ifstream in(p);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    ASSERT_NE(content, "secret") << testing::PrintToString(std::string(url));
  }

  fs::path base_, root_, outside_;
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
  auto top = resolve_static(root_.string(), "/");
  ASSERT_TRUE(top);
  EXPECT_EQ(fs::path(top->path).filename(), "index.html");
  EXPECT_FALSE(resolve_static(root_.string(), "/missing.js"));
}

TEST_F(StaticFiles, PercentEncodedNamesAreDecoded) {
  std::ofstream(root_ / "a b.txt") << "z";
  auto f = resolve_static(root_.string(), "/a%20b.txt");
  ASSERT_TRUE(f);
  EXPECT_EQ(fs::path(f->path).filename(), "a b.txt");
  EXPECT_TRUE(resolve_static(root_.string(), "/%61.txt"));  // "a.txt"
}

TEST_F(StaticFiles, LinksThatStayInsideTheRootAreFollowed) {
  auto f = resolve_static(root_.string(), "/in.txt");
  ASSERT_TRUE(f);
  EXPECT_EQ(fs::canonical(f->path), fs::canonical(root_ / "a.txt"));
}

TEST_F(StaticFiles, RefusesEveryHostilePath) {
  const std::string long_path = "/" + std::string(5000, 'a') + ".txt";
  const std::string deep_path = [] {
    std::string p;
    for (int i = 0; i < 600; ++i) p += "/a";
    return p + ".txt";
  }();
  const std::vector<std::string> hostile = {
      "//etc/passwd",
      "///etc/passwd",
      "//proc/self/cwd/data/parley.db",
      "//proc/self/root/etc/passwd",
      "/../etc/passwd",
      "/..",
      "/../",
      "/assets/../../etc/passwd",
      "/assets/..%2f..%2fetc",
      "/%2F..%2Fetc/passwd",
      "/%2fetc%2fpasswd",
      "/%2e%2e/etc/passwd",
      "/%2E%2E/%2E%2E/etc/passwd",
      "/.%2e/etc/passwd",
      "/%2e./etc/passwd",
      "/%252e%252e/etc/passwd",
      "/assets/%2e%2e/%2e%2e/a.txt",
      "/%2e",
      "/./a.txt",
      "/a/./../a.txt",
      "/\\etc\\passwd",
      "/..\\..\\etc\\passwd",
      "/%5c..%5c..%5cetc%5cpasswd",
      "/%5Cetc%5Cpasswd",
      std::string("/a.txt\0.js", 10),
      std::string("/\0/etc/passwd", 13),
      "/a.txt%00.js",
      "/%00",
      "/a%0a.txt",
      "/a%7f.txt",
      "/a%1b.txt",
      "/%",
      "/%2",
      "/%zz",
      "/%2g",
      "/.env",
      "/%2eenv",
      "/leak.txt",
      "/out/a.txt",
      "/out/a/a.txt",
      "/e/a.txt",
      "/x/a.txt",
      "/../webx/a.txt",
      "/../webx.txt",
      "/%2e%2e/webx.txt",
      long_path,
      deep_path,
      "",
      "relative",
      "a.txt",
  };
  for (const auto& path : hostile) {
    auto f = resolve_static(root_.string(), path);
    EXPECT_FALSE(f) << testing::PrintToString(path) << " resolved to " << (f ? f->path : "");
  }
}

TEST_F(StaticFiles, RootWithASiblingOfTheSamePrefixDoesNotAdmitIt) {
  // "/srv/web" must not admit "/srv/webx": compare by path components, not string prefix.
  EXPECT_FALSE(resolve_static(root_.string(), "/x/a.txt"));
  EXPECT_FALSE(resolve_static((base_ / "web").string(), "/../webx/a.txt"));
}

TEST_F(StaticFiles, RootGivenThroughALinkStillWorks) {
  fs::create_directory_symlink(root_, base_ / "web-link");
  auto f = resolve_static((base_ / "web-link").string(), "/a.txt");
  ASSERT_TRUE(f);
  EXPECT_FALSE(resolve_static((base_ / "web-link").string(), "/out/a.txt"));
}

TEST_F(StaticFiles, NoRandomPathEverOpensAFileOutsideTheRoot) {
  static const std::vector<std::string> kPieces = {
      "/", "/", "/", ".", ".", "%", "2", "e", "E", "f", "F", "5", "c", "C", "\\", std::string(1, '\0'),
      "a", "~", "out", "e", "x", "leak", ".txt", "%2e", "%2f", "%5c", "..", "%00", "in", "assets"};
  std::mt19937 rng(12345);  // fixed seed: a failure reproduces
  std::uniform_int_distribution<std::size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string url = "/";
    for (int n = length(rng); n > 0; --n) url += kPieces[piece(rng)];
    ExpectInsideRoot(url);
    if (HasFatalFailure()) return;
  }
}

TEST(AcceptEncoding, NamesQValuesAndTheWildcard) {
  auto both = [](AcceptedEncodings a) { return std::pair{a.br, a.gzip}; };
  EXPECT_EQ(both(parse_accept_encoding("")), std::pair(false, false));
  EXPECT_EQ(both(parse_accept_encoding("gzip, deflate, br, zstd")), std::pair(true, true));
  EXPECT_EQ(both(parse_accept_encoding("GZIP")), std::pair(false, true));
  EXPECT_EQ(both(parse_accept_encoding("br;q=0, gzip;q=0.5")), std::pair(false, true));
  EXPECT_EQ(both(parse_accept_encoding("br; q=0.000 ,gzip ; q=0.001")), std::pair(false, true));
  EXPECT_EQ(both(parse_accept_encoding("*")), std::pair(true, true));
  EXPECT_EQ(both(parse_accept_encoding("*, br;q=0")), std::pair(false, true));
  EXPECT_EQ(both(parse_accept_encoding("identity")), std::pair(false, false));
  EXPECT_EQ(both(parse_accept_encoding(",,;;br;;,")), std::pair(false, false));
  EXPECT_EQ(both(parse_accept_encoding("x-gzip")), std::pair(false, true));
}

TEST(EntityTags, WeakComparisonOverAList) {
  EXPECT_TRUE(etag_matches("\"a-1\"", "\"a-1\""));
  EXPECT_TRUE(etag_matches("W/\"a-1\"", "\"a-1\""));
  EXPECT_TRUE(etag_matches("\"x\", \"a-1\"", "\"a-1\""));
  EXPECT_TRUE(etag_matches(" * ", "\"a-1\""));
  EXPECT_FALSE(etag_matches("\"a-1-br\"", "\"a-1\""));
  EXPECT_FALSE(etag_matches("a-1", "\"a-1\""));
  EXPECT_FALSE(etag_matches("", "\"a-1\""));
  EXPECT_FALSE(etag_matches("*", ""));
}

TEST_F(StaticFiles, PreCompressedSiblingsAreChosenByAcceptEncoding) {
  std::ofstream(root_ / "assets" / "app-1234.js.br") << "BR";
  std::ofstream(root_ / "assets" / "app-1234.js.gz") << "GZ";
  std::ofstream(root_ / "sw.js.gz") << "GZ";
  auto js = resolve_static(root_.string(), "/assets/app-1234.js");
  ASSERT_TRUE(js);
  StaticFile br = negotiate_static(*js, {true, true});
  EXPECT_EQ(br.encoding, "br");
  EXPECT_EQ(fs::path(br.path).filename(), "app-1234.js.br");
  EXPECT_EQ(br.content_type, "text/javascript; charset=utf-8");  // the type of what it decodes to
  StaticFile gz = negotiate_static(*js, {false, true});
  EXPECT_EQ(gz.encoding, "gzip");
  StaticFile plain = negotiate_static(*js, {});
  EXPECT_EQ(plain.encoding, "");
  EXPECT_EQ(fs::path(plain.path).filename(), "app-1234.js");
  // Every variant has its own validator, and a changed file gets a new one.
  EXPECT_FALSE(plain.etag.empty());
  EXPECT_NE(br.etag, gz.etag);
  EXPECT_NE(br.etag, plain.etag);
  auto sw = resolve_static(root_.string(), "/sw.js");
  ASSERT_TRUE(sw);
  EXPECT_EQ(negotiate_static(*sw, {true, true}).encoding, "gzip");  // no .br there
  const std::string before = negotiate_static(*sw, {}).etag;
  std::ofstream(root_ / "sw.js") << "a longer body";
  EXPECT_NE(negotiate_static(*sw, {}).etag, before);
}

TEST_F(StaticFiles, APreCompressedSiblingLinkedOutOfTheRootIsIgnored) {
  fs::create_symlink(outside_ / "a.txt", root_ / "a.txt.br");
  auto f = resolve_static(root_.string(), "/a.txt");
  ASSERT_TRUE(f);
  StaticFile n = negotiate_static(*f, {true, true});
  EXPECT_EQ(n.encoding, "");
  std::ifstream in(n.path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "inside");
}

}  // namespace
}  // namespace parley::net
