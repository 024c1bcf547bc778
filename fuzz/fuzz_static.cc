// Fuzz target: net::resolve_static, which maps a request's URL path to a file of the web
// client. Once per run it lays out a web root in a fresh temporary folder:
//   <tmp>/web/index.html, app.js, assets/app-0123abcd.js, sub/page.html, sub/deeper/x.css,
//   <tmp>/web/leak.txt  -> a symlink to <tmp>/outside/secret.txt
//   <tmp>/web/outdir    -> a symlink to <tmp>/outside
//   <tmp>/outside/secret.txt, <tmp>/web-sibling/secret.txt (a sibling whose name starts
//   with the root's, for prefix-comparison bugs)
// Property: every answer other than nullopt names a regular file whose canonical path lies
// inside the canonical web root, compared component by component.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "check.h"
#include "server/net/static_files.h"

namespace {

namespace fs = std::filesystem;

std::string g_root;            // as handed to resolve_static
fs::path g_canonical_root;     // what answers must stay inside
fs::path g_tmp;                // removed at exit

void write_file(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void remove_tmp() {
  std::error_code ec;
  fs::remove_all(g_tmp, ec);
}

bool inside(const fs::path& p, const fs::path& root) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *q != *r) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string pattern = (fs::temp_directory_path() / "parley-fuzz-static-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_tmp = pattern;
  std::atexit(remove_tmp);
  const fs::path web = g_tmp / "web";
  write_file(web / "index.html", "<!doctype html><title>parley</title>");
  write_file(web / "app.js", "console.log('parley')");
  write_file(web / "assets" / "app-0123abcd.js", "export {}");
  write_file(web / "sub" / "page.html", "<p>page</p>");
  write_file(web / "sub" / "deeper" / "x.css", "p{}");
  write_file(g_tmp / "outside" / "secret.txt", "secret");
  write_file(g_tmp / "web-sibling" / "secret.txt", "secret");
  fs::create_symlink(g_tmp / "outside" / "secret.txt", web / "leak.txt");
  fs::create_directory_symlink(g_tmp / "outside", web / "outdir");
  g_root = web.string();
  g_canonical_root = fs::canonical(web);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view url_path(reinterpret_cast<const char*>(data), size);
  auto file = parley::net::resolve_static(g_root, url_path);
  if (!file) return 0;
  std::error_code ec;
  FUZZ_CHECK(fs::is_regular_file(file->path, ec), "the answer is not a regular file");
  fs::path real = fs::canonical(file->path, ec);
  FUZZ_CHECK(!ec, "the answer cannot be resolved");
  if (!inside(real, g_canonical_root)) {
    std::fprintf(stderr, "url path served %s, outside the web root %s\n", real.c_str(),
                 g_canonical_root.c_str());
    FUZZ_CHECK(false, "resolve_static answered a file outside the web root");
  }
  FUZZ_CHECK(!file->content_type.empty(), "no content type");
  return 0;
}
