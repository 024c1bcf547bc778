// history: fills --conversations conversations with --store-messages messages in total
// (seeding), then --queriers connections fetch random pages `before=S` for --duration,
// closed loop. Every page is checked: the right count of contiguous seqs, newest first.
// With --search-share, texts are vocabulary words and that share of the queries are
// searches for one word across the querier's conversations; every hit is checked.
#include <algorithm>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "frames.h"
#include "ledger.h"
#include "rpc.h"
#include "scenarios.h"
#include "seeder.h"
#include "setup.h"

namespace bench {

namespace json = boost::json;

namespace {

// Checks one search answer for `word` by a member of `conv` only; returns a problem or "".
std::string check_search(const json::object& answer, int64_t conv, const std::string& word, std::size_t& hits) {
  const json::array* results = answer.contains("results") ? answer.at("results").if_array() : nullptr;
  if (!results) return "no results array";
  hits = results->size();
  for (const auto& r : *results) {
    const json::object& hit = r.as_object();
    if (hit.at("message").at("conversation_id").to_number<int64_t>() != conv) return "a hit from another conversation";
    bool highlighted = false;
    for (const auto& seg : hit.at("snippet").as_array()) {
      const json::object& so = seg.as_object();
      if (so.contains("match") && std::string_view(so.at("text").as_string()).substr(0, word.size()) == word)
        highlighted = true;
    }
    if (!highlighted) return "a hit without the word highlighted";
  }
  return "";
}

// Fetches pages (and, with search_share, searches) until the deadline; checks each one.
asio::awaitable<void> query_loop(Shard& shard, std::shared_ptr<WsConn> conn, int64_t conv, int64_t size, int limit,
                                 double search_share, bool search_prefix, uint64_t deadline, uint64_t seed) {
  Rpc rpc(conn, nullptr);
  bool dropped = false;
  rpc.start([&dropped](const std::string& why) { dropped = !why.empty(); });
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  while (now_ns() < deadline && conn->open()) {
    if (search_share > 0 && coin(rng) < search_share) {
      const std::string word = vocab_word(zipf_index(rng()));
      uint64_t t = now_ns();
      auto r = co_await rpc.call(R"({"type":"search","q":")" + word + R"(","limit":20,"prefix":)" +
                                     (search_prefix ? "true" : "false") + "}",
                                 std::chrono::seconds(30));
      if (!r) {
        shard.stats.error("search: " + r.error().message);
        break;
      }
      shard.stats.hist("search_us").record((now_ns() - t) / 1000);
      shard.stats.add("searches");
      std::size_t hits = 0;
      std::string problem = check_search(*r, conv, word, hits);
      if (!problem.empty()) {
        shard.stats.add("bad_searches");
        shard.stats.error("search '" + word + "': " + problem);
      }
      shard.stats.add("search_hits", static_cast<double>(hits));
      continue;
    }
    int64_t before = 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, size)));
    uint64_t t = now_ns();
    auto r = co_await rpc.call(R"({"type":"history","conversation_id":)" + std::to_string(conv) + R"(,"before":)" +
                                   std::to_string(before) + R"(,"limit":)" + std::to_string(limit) + "}",
                               std::chrono::seconds(30));
    if (!r) {
      shard.stats.error("history page: " + r.error().message);
      break;
    }
    shard.stats.hist("page_us").record((now_ns() - t) / 1000);
    shard.stats.add("pages");
    const auto& msgs = r->at("messages").as_array();
    int64_t expect = std::min<int64_t>(limit, before - 1);
    bool good = static_cast<int64_t>(msgs.size()) == expect &&
                r->at("has_more").as_bool() == (before - 1 - limit >= 1);
    for (std::size_t i = 0; good && i < msgs.size(); ++i)
      good = msgs[i].at("seq").to_number<int64_t>() == before - 1 - static_cast<int64_t>(i);
    if (!good) {
      shard.stats.add("bad_pages");
      shard.stats.error("history before=" + std::to_string(before) + " of conversation " + std::to_string(conv) +
                        ": wrong page (" + std::to_string(msgs.size()) + " messages)");
    }
    shard.stats.add("page_messages", static_cast<double>(msgs.size()));
  }
  if (dropped) shard.stats.error("history connection dropped");
  conn->close();
  co_await sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

void history_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  Runtime rt(opt.threads);
  Stats setup_stats;
  std::size_t c = static_cast<std::size_t>(std::max<int64_t>(1, ctx.share(opt.conversations)));
  int64_t per_conv = std::max<int64_t>(1, ctx.share(opt.store_messages) / static_cast<int64_t>(c));
  bool ok = true;
  std::vector<int64_t> conv_ids;
  std::vector<Account> accounts;

  auto acc = register_accounts(rt, ctx.target, ctx.base, 2 * c, opt.setup_concurrency);
  if (!acc) ok = false, fail_setup(setup_stats, acc.error().message);
  if (ok) {
    accounts = std::move(*acc);
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < c; ++i) pairs.emplace_back(2 * i, 2 * i + 1);
    auto convs = create_conversations(rt, ctx.target, accounts, pairs, opt.setup_concurrency);
    if (!convs) ok = false, fail_setup(setup_stats, convs.error().message);
    else conv_ids = std::move(*convs);
  }
  Ledger ledger;
  if (ok) {
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < c; ++i) tokens.push_back(accounts[2 * i].token);
    auto conns = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!conns) ok = false, fail_setup(setup_stats, conns.error().message);
    std::vector<SeedJob> jobs;
    for (std::size_t i = 0; ok && i < c; ++i) jobs.push_back(SeedJob{(*conns)[i], accounts[2 * i].id, {conv_ids[i]}, per_conv});
    ctx.link.barrier("ready");
    if (ok)
      setup_stats.set_max("max_seed_s", run_seed_jobs(rt, jobs, opt.window, opt.text_bytes, 3600, ledger,
                                                      opt.search_share > 0));
  } else {
    ctx.link.barrier("ready");
  }
  check_contiguous_acks(ledger, setup_stats);
  ctx.link.barrier("seeded");

  std::vector<std::shared_ptr<WsConn>> queriers;
  std::size_t q = static_cast<std::size_t>(std::max<int64_t>(1, ctx.share(opt.queriers)));
  if (ok) {
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < q; ++i) tokens.push_back(accounts[2 * (i % c)].token);
    auto conns = connect_all(rt, ctx.target, tokens, opt.connect_concurrency, nullptr);
    if (!conns) ok = false, fail_setup(setup_stats, conns.error().message);
    else queriers = std::move(*conns);
  }
  ctx.link.barrier("connected");
  uint64_t deadline = now_ns() + static_cast<uint64_t>(opt.duration_s * 1e9);
  if (ok) {
    std::size_t shards = rt.shards().size();
    rt.run_all([&](Shard& shard) -> asio::awaitable<void> {
      WaitGroup wg(shard.io.get_executor());
      for (std::size_t i = static_cast<std::size_t>(shard.index); i < q; i += shards) {
        wg.add();
        asio::co_spawn(
            shard.io,
            [&, i]() -> asio::awaitable<void> {
              co_await query_loop(shard, queriers[i], conv_ids[i % c], per_conv, opt.page_limit,
                                  opt.search_share, opt.search_prefix, deadline, ctx.link.index() * 100000 + i + 1);
              wg.done();
            },
            asio::detached);
      }
      co_await wg.wait();
    });
  } else {
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(opt.duration_s * 1e9)));
  }
  ctx.link.barrier("queried");
  Stats stats = rt.merged_stats();
  stats.merge(setup_stats);
  stats.add("conversations", static_cast<double>(c));
  stats.add("per_conversation", static_cast<double>(per_conv));
  stats.add("queriers", static_cast<double>(q));
  ctx.link.send_result(stats);
}

void history_report(const Options& opt, const RunResult& run, Report& report) {
  const Stats& s = run.stats;
  report.value("seeded", "messages seeded in this run", s.get("seeded"), "", 0);
  report.value("conversations", "conversations", s.get("conversations"), "", 0);
  if (s.get("max_seed_s") > 0) {
    report.value("seed_seconds", "seeding time", s.get("max_seed_s"), "s", 2);
    report.value("seed_per_s", "seeding rate (flat out)", s.get("seeded") / s.get("max_seed_s"), "msgs/s", 0);
  }
  report.value("queriers", "querying connections", s.get("queriers"), "", 0);
  report.value("page_limit", "page size", opt.page_limit, "messages", 0);
  report.value("pages_per_s", "pages", s.get("pages") / opt.duration_s, "pages/s", 0);
  if (s.hists.count("page_us")) report.latency("page_latency", "history page latency", s.hists.at("page_us"));
  report.value("bad_pages", "wrong pages", s.get("bad_pages"), "", 0);
  if (opt.search_share > 0) {
    report.value("searches_per_s", "searches", s.get("searches") / opt.duration_s, "searches/s", 0);
    if (s.hists.count("search_us")) report.latency("search_latency", "search latency", s.hists.at("search_us"));
    report.value("search_hits", "hits per search (mean, at most 20)",
                 s.get("searches") > 0 ? s.get("search_hits") / s.get("searches") : 0, "", 1);
    report.value("bad_searches", "wrong search answers", s.get("bad_searches"), "", 0);
  }
  report_server_between(run, "connected", "queried", report);
}

}  // namespace bench
