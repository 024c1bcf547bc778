#include "xdg.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace parley::cli {
namespace {

Result<std::string> base_dir(const char* variable, const char* fallback) {
  const char* xdg = std::getenv(variable);
  std::string dir;
  // The spec says relative paths are invalid and must be ignored.
  if (xdg != nullptr && xdg[0] == '/') {
    dir = xdg;
  } else {
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] == '\0') {
      return Error::make(Errc::kInvalidArgument, std::string("neither ") + variable + " nor HOME is set");
    }
    dir = std::string(home) + "/" + fallback;
  }
  dir += "/parley";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::make(Errc::kInternal, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  return dir;
}

}  // namespace

Result<std::string> config_dir() { return base_dir("XDG_CONFIG_HOME", ".config"); }
Result<std::string> data_dir() { return base_dir("XDG_DATA_HOME", ".local/share"); }

std::string load_server(const std::string& dir) {
  std::ifstream in(dir + "/config");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    auto trim = [](std::string& s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
    };
    trim(key);
    trim(value);
    if (key == "server") return value;
  }
  return {};
}

Status save_server(const std::string& dir, const std::string& server) {
  std::ofstream out(dir + "/config", std::ios::trunc);
  out << "# parley command-line client\nserver = " << server << "\n";
  if (!out) return Error::make(Errc::kInternal, "cannot write " + dir + "/config");
  return {};
}

}  // namespace parley::cli
