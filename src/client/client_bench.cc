// parley_client_bench: measures libparley on a large local store and against a server.
//
//   parley_client_bench store --dir DIR [--chats N] [--messages M] [--key KEY]
//       builds a store of N direct chats and M messages (round-robin over the chats, words
//       from a 2,000-word vocabulary), then measures through the C API: cold start to the
//       first chat-list page, resident memory, local search and history latency. With
//       --key the store is encrypted with KEY (as start's database_key).
//   parley_client_bench send --server URL --dir DIR [--messages K]
//       two fresh accounts on a server with rate limits lifted: K messages queued at once
//       by one core, the time until all are acknowledged (sent) and until the other core
//       has received them all.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "client/store.h"
#include "parley/client.h"

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using parley::client::Chat;
using parley::client::Message;
using parley::client::Store;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

// A client driven synchronously: request → answer, collecting nothing else.
struct Driver {
  parley_client* c = parley_client_create();
  int64_t next = 1;
  ~Driver() { parley_client_destroy(c); }
  json::object call(json::object req) {
    const int64_t id = next++;
    req["id"] = id;
    parley_client_send(c, json::serialize(req).c_str());
    for (;;) {
      const char* text = parley_client_receive(c, 60.0);
      if (text == nullptr) return {{"type", "timeout"}};
      json::object o = json::parse(text).as_object();
      if (o.contains("id") && o.at("id").is_int64() && o.at("id").as_int64() == id) return o;
    }
  }
  // Counts updates of `type` (and `state`, when given) until `count` came; ms taken.
  double count_updates(const char* type, const char* state, int count) {
    const auto t0 = Clock::now();
    int seen = 0;
    while (seen < count) {
      const char* text = parley_client_receive(c, 60.0);
      if (text == nullptr) return -1;
      json::object o = json::parse(text).as_object();
      if (o.at("type").as_string() != type) continue;
      if (state && (!o.contains("state") || o.at("state").as_string() != state)) continue;
      ++seen;
    }
    return ms_since(t0);
  }
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

int bench_store(int argc, char** argv) {
  const std::string dir = arg(argc, argv, "--dir", "");
  const int chats = std::atoi(arg(argc, argv, "--chats", "10000").c_str());
  const long messages = std::atol(arg(argc, argv, "--messages", "1000000").c_str());
  const std::string key = arg(argc, argv, "--key", "");  // encrypts the store (SQLCipher)
  if (dir.empty()) return 2;
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench.db";
  std::filesystem::remove(path);
  std::mt19937_64 rng(42);
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 2000; ++i) {
    std::string w;
    for (int k = 0; k < 3 + static_cast<int>(rng() % 6); ++k) w += static_cast<char>('a' + rng() % 26);
    vocabulary.push_back(w);
  }
  {
    const auto t0 = Clock::now();
    auto store = Store::open(path, key);
    if (!store) return 1;
    Store& s = **store;
    (void)s.set_setting("me", "1");
    (void)s.set_setting("token", "bench-token");  // makes start() try to connect (nothing listens)
    (void)s.begin_batch();
    (void)s.put_user({1, "me", "Me"});
    for (int c = 1; c <= chats; ++c) {
      (void)s.put_user({c + 1, "user" + std::to_string(c), "User " + std::to_string(c)});
      Chat chat;
      chat.id = c;
      chat.kind = "direct";
      chat.title = "User " + std::to_string(c);
      chat.peer_id = c + 1;
      chat.member_count = 2;
      (void)s.put_chat(chat);
    }
    std::vector<int64_t> seq(static_cast<size_t>(chats) + 1, 0);
    for (long i = 0; i < messages; ++i) {
      Message m;
      m.chat_id = 1 + i % chats;
      m.seq = ++seq[static_cast<size_t>(m.chat_id)];
      m.id = i + 1;
      m.sender_id = i % 2 ? 1 : m.chat_id + 1;
      m.client_id = "b" + std::to_string(i);
      m.kind = "text";
      for (int k = 0; k < 4 + static_cast<int>(rng() % 12); ++k) m.text += (k ? " " : "") + vocabulary[rng() % vocabulary.size()];
      m.ts = 1700000000000 + i * 1000;
      m.version = i + 1;
      (void)s.put_message(m);
      if (i % 20000 == 19999) {
        (void)s.end_batch();
        (void)s.begin_batch();
      }
    }
    (void)s.end_batch();
    std::printf("built store: %d chats, %ld messages, %.1f MB, in %.1f s\n", chats, messages,
                static_cast<double>(std::filesystem::file_size(path) +
                                    (std::filesystem::exists(path + "-wal") ? std::filesystem::file_size(path + "-wal") : 0)) / 1e6, ms_since(t0) / 1000);
  }
  const long rss_before = rss_kib();
  const auto t0 = Clock::now();
  Driver d;
  json::object start{{"type", "start"}, {"server", "http://127.0.0.1:9"}, {"database", path}};
  if (!key.empty()) start["database_key"] = key;
  auto started = d.call(std::move(start));
  auto list = d.call({{"type", "get_chats"}, {"limit", 50}});
  const double cold = ms_since(t0);
  std::printf("cold start to the first 50 chats: %.1f ms (%zu chats listed)\n", cold,
              list.contains("chats") ? list.at("chats").as_array().size() : 0);
  std::vector<double> search_ms, history_ms;
  size_t hits = 0;
  for (int q = 0; q < 50; ++q) {
    const auto t = Clock::now();
    auto r = d.call({{"type", "search"}, {"query", vocabulary[rng() % vocabulary.size()]}, {"limit", 20}});
    search_ms.push_back(ms_since(t));
    hits += r.contains("results") ? r.at("results").as_array().size() : 0;
  }
  for (int q = 0; q < 50; ++q) {
    const auto t = Clock::now();
    d.call({{"type", "get_history"}, {"chat_id", 1 + static_cast<int64_t>(rng() % chats)}, {"limit", 50}});
    history_ms.push_back(ms_since(t));
  }
  std::printf("search (one word, 20 results, %zu hits over 50 queries): median %.2f ms, p95 %.2f ms\n", hits,
              percentile(search_ms, 0.5), percentile(search_ms, 0.95));
  std::printf("history page (50 messages): median %.2f ms, p95 %.2f ms\n", percentile(history_ms, 0.5),
              percentile(history_ms, 0.95));
  std::printf("resident memory: %.1f MB before the core, %.1f MB with it open\n", rss_before / 1024.0,
              rss_kib() / 1024.0);
  return 0;
}

int bench_send(int argc, char** argv) {
  const std::string server = arg(argc, argv, "--server", "");
  const std::string dir = arg(argc, argv, "--dir", "");
  const int k = std::atoi(arg(argc, argv, "--messages", "2000").c_str());
  if (server.empty() || dir.empty()) return 2;
  Driver alice, bob;
  alice.call({{"type", "start"}, {"server", server}, {"database", dir + "/alice.db"}});
  bob.call({{"type", "start"}, {"server", server}, {"database", dir + "/bob.db"}});
  alice.call({{"type", "register"}, {"username", "alice"}, {"password", "pw-alice-long-enough"}});
  bob.call({{"type", "register"}, {"username", "bob"}, {"password", "pw-bob-long-enough"}});
  auto chat = alice.call({{"type", "open_direct"}, {"username", "bob"}});
  const int64_t chat_id = chat.at("chat").at("id").as_int64();
  alice.count_updates("sync_done", nullptr, 1);
  bob.count_updates("sync_done", nullptr, 1);
  const auto t0 = Clock::now();
  for (int i = 0; i < k; ++i) {
    json::object req{{"type", "send_message"}, {"chat_id", chat_id}, {"text", "message " + std::to_string(i)},
                     {"id", -1}};
    parley_client_send(alice.c, json::serialize(req).c_str());
  }
  const double sent = alice.count_updates("message_state", "sent", k);
  const double total_sent = ms_since(t0);
  const double received = bob.count_updates("new_message", nullptr, k);
  const double total_received = ms_since(t0);
  std::printf("send: %d messages acknowledged in %.0f ms (%.0f messages/s)\n", k, total_sent,
              k / (total_sent / 1000));
  std::printf("receive: all %d stored by the other core after %.0f ms (%.0f messages/s)\n", k,
              total_received, k / (total_received / 1000));
  (void)sent;
  (void)received;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "store") == 0) return bench_store(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "send") == 0) return bench_send(argc, argv);
  std::fprintf(stderr, "usage: parley_client_bench store --dir DIR [--chats N] [--messages M]\n"
                       "       parley_client_bench send --server URL --dir DIR [--messages K]\n");
  return 2;
}
