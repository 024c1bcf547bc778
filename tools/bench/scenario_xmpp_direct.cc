// direct against an XMPP server: users in 1:1 pairs send <message type='chat'> stanzas to
// random peers, open loop at --rate msgs/s in total or flat out (--window in flight per
// connection). A message counts as acknowledged when the server's stream-management <a h/>
// covers it (an <r/> follows every message). A message's id carries its directed
// conversation (pair and direction) and the sender's seq in it, and its body the send
// timestamp, so the ledger and order checks are those of the parleyd version.
#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "direct_phases.h"
#include "ledger.h"
#include "scenarios.h"
#include "setup.h"
#include "xmpp_setup.h"

namespace bench {

namespace {

constexpr int kMaxInFlight = 200;  // as against parleyd

struct Pending {
  uint64_t stanza;  // stream-management number
  int64_t conversation;
  int64_t seq;
  uint64_t scheduled_ns;
};

struct User {
  std::unique_ptr<XmppSession> session;
  int64_t id = 0;  // index + 1
  std::string jid;
  std::vector<std::size_t> pairs;  // indices into Run::pairs
  std::deque<Pending> pending;     // at most kMaxInFlight + --window
  OrderCheck order;
};

struct Run : DirectState {
  explicit Run(const Options& o) : opt(o) {}
  const Options& opt;
  std::vector<User> users;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<int64_t> next_seq;  // per directed conversation (2 * pair + direction); touched by its sender only
  std::string body_pad;
};

void digits(std::string& s, uint64_t v, std::size_t width) {
  std::string d = std::to_string(v);
  s.append(width > d.size() ? width - d.size() : 0, '0');
  s += d;
}

void send_one(Run& run, User& u, Shard& shard, uint64_t scheduled, std::mt19937_64& rng) {
  std::size_t p = u.pairs[rng() % u.pairs.size()];
  bool first = run.pairs[p].first + 1 == static_cast<std::size_t>(u.id);
  const User& peer = run.users[first ? run.pairs[p].second : run.pairs[p].first];
  int64_t conv = static_cast<int64_t>(2 * p + (first ? 0 : 1));
  int64_t seq = ++run.next_seq[static_cast<std::size_t>(conv)];
  std::string m = "<message xmlns='jabber:client' type='chat' to='" + peer.jid + "' id='" + std::to_string(conv) + "." +
                  std::to_string(seq) + "'><body>t";
  digits(m, scheduled, 20);
  m += run.body_pad;
  m += "</body>";
  if (run.opt.receipts) m += "<request xmlns='urn:xmpp:receipts'/>";
  m += "</message>";
  uint64_t n = u.session->send_stanza(std::move(m));
  u.session->request_ack();
  u.pending.push_back(Pending{n, conv, seq, scheduled});
  shard.stats.add("sent");
}

void on_ack(Run& run, User& u, Shard& shard, DirectShard& st, std::mt19937_64& rng, uint64_t h) {
  uint64_t now = now_ns();
  int refill = 0;
  while (!u.pending.empty() && u.pending.front().stanza <= h) {
    const Pending& p = u.pending.front();
    shard.stats.hist("ack_us").record((now - p.scheduled_ns) / 1000);
    st.ledger.acked.push_back({p.conversation, p.seq, u.id});
    if (now <= run.deadline_ns) shard.stats.add("acked_in_window");
    run.acked.fetch_add(1, std::memory_order_relaxed);
    u.pending.pop_front();
    ++refill;
  }
  if (run.opt.rate == 0 && run.sending.load(std::memory_order_relaxed) && now < run.deadline_ns)
    for (int i = 0; i < refill; ++i) send_one(run, u, shard, now, rng);
}

void on_stanza(Run& run, User& u, Shard& shard, DirectShard& st, const Stanza& s) {
  if (s.name != "message") {
    if (s.name == "iq" && s.attr("type") == "get")
      u.session->send_stanza("<iq xmlns='jabber:client' type='error' id='" + std::string(s.attr("id")) + "' to='" +
                             std::string(s.attr("from")) + "'/>");
    else if (s.name != "presence" && s.name != "iq")
      shard.stats.error("unexpected " + std::string(s.frame.substr(0, 160)));
    return;
  }
  if (s.attr("type") == "error") return shard.stats.error("error stanza: " + std::string(s.frame.substr(0, 200)));
  std::string_view body = s.child_text("body");
  if (body.empty()) {
    if (s.has_child("received")) shard.stats.add("receipts_received");
    return;
  }
  std::string_view id = s.attr("id");
  auto dot = id.find('.');
  uint64_t conv = dot == std::string_view::npos ? UINT64_MAX : parse_decimal(id.substr(0, dot));
  uint64_t seq = dot == std::string_view::npos ? UINT64_MAX : parse_decimal(id.substr(dot + 1));
  if (conv == UINT64_MAX || seq == UINT64_MAX)
    return shard.stats.error("message without a bench id: " + std::string(s.frame.substr(0, 160)));
  uint64_t now = now_ns();
  uint64_t stamp = text_stamp(body);
  if (stamp && now >= stamp) shard.stats.hist("e2e_us").record((now - stamp) / 1000);
  st.ledger.received.push_back({static_cast<int64_t>(conv), static_cast<int64_t>(seq), u.id});
  u.order.observe(static_cast<int64_t>(conv), static_cast<int64_t>(seq), shard.stats);
  if (now <= run.deadline_ns) shard.stats.add("delivered_in_window");
  run.delivered.fetch_add(1, std::memory_order_relaxed);
  if (run.opt.receipts && s.has_child("request"))
    u.session->send_stanza("<message xmlns='jabber:client' to='" + std::string(s.attr("from")) +
                           "'><received xmlns='urn:xmpp:receipts' id='" + std::string(id) + "'/></message>");
}

// The XMPP side of the phases: chat stanzas, acks by stream management.
class XmppDirect final : public DirectTransport {
 public:
  explicit XmppDirect(Run& run) : run_(run) {}
  void start(std::size_t i, Shard& shard, DirectShard& st, std::mt19937_64& rng) override {
    User& u = run_.users[i];
    Run& run = run_;
    u.session->on_ack([&run, &u, &shard, &st, &rng](uint64_t h) { on_ack(run, u, shard, st, rng, h); });
    u.session->on_stanza([&run, &u, &shard, &st](const Stanza& s) { on_stanza(run, u, shard, st, s); },
                         report_drop(run, shard, i));
  }
  void send_one(std::size_t i, Shard& shard, uint64_t scheduled, std::mt19937_64& rng) override {
    bench::send_one(run_, run_.users[i], shard, scheduled, rng);
  }
  bool can_send(std::size_t i) const override {
    const User& u = run_.users[i];
    return u.pending.size() < kMaxInFlight && u.session->open();
  }
  std::size_t unacknowledged(std::size_t i) const override { return run_.users[i].pending.size(); }
  void close(std::size_t i) override { run_.users[i].session->close(); }
  void release(std::size_t i) override { run_.users[i].session.reset(); }

 private:
  Run& run_;
};

}  // namespace

void xmpp_direct_worker(WorkerContext& ctx) {
  const Options& opt = ctx.opt;
  const XmppEndpoint ep = xmpp_endpoint(opt);
  Runtime rt(opt.threads);
  Stats setup_stats;
  Run run(opt);
  std::size_t n = static_cast<std::size_t>(std::max<int64_t>(2, ctx.share(opt.users)));
  auto names = xmpp_usernames(ctx.base, 0, n);
  bool ok = true;
  run.body_pad.assign(static_cast<std::size_t>(std::max(0, opt.text_bytes - 21)), 'x');

  if (auto r = register_xmpp_accounts(rt, ctx.target, ep, names, opt.setup_concurrency, 50); !r)
    ok = false, fail_setup(setup_stats, r.error().message);
  if (ok) {
    run.pairs = direct_pairs(n, opt.peers);
    run.next_seq.assign(2 * run.pairs.size(), 0);
    run.users.resize(n);
    for (std::size_t c = 0; c < run.pairs.size(); ++c) {
      run.users[run.pairs[c].first].pairs.push_back(c);
      run.users[run.pairs[c].second].pairs.push_back(c);
    }
    for (std::size_t i = 0; i < n; ++i) {
      run.users[i].id = static_cast<int64_t>(i + 1);
      run.users[i].jid = xmpp_bare_jid(names[i], ep);
    }
    auto sessions = xmpp_connect_all(rt, ctx.target, ep, names, true, opt.connect_concurrency, nullptr);
    if (!sessions) ok = false, fail_setup(setup_stats, sessions.error().message);
    else
      for (std::size_t i = 0; i < n; ++i) run.users[i].session = std::move((*sessions)[i]);
  }
  assign_shards(run, rt, n, ok);
  XmppDirect transport(run);
  Stats stats = run_direct_phases(ctx, rt, run, transport, ok, std::move(setup_stats));
  stats.add("users", static_cast<double>(run.users.size()));
  stats.add("conversations", static_cast<double>(run.pairs.size()));
  ctx.link.send_result(stats);
}

}  // namespace bench
