#include "ledger.h"

#include <algorithm>
#include <string>

namespace bench {

void Ledger::merge(Ledger&& o) {
  acked.insert(acked.end(), o.acked.begin(), o.acked.end());
  received.insert(received.end(), o.received.begin(), o.received.end());
  o.acked.clear();
  o.received.clear();
}

namespace {

bool before(const LedgerEntry& a, const LedgerEntry& b) {
  return a.conversation != b.conversation ? a.conversation < b.conversation : a.seq < b.seq;
}

std::string where(const LedgerEntry& e) {
  return "conversation " + std::to_string(e.conversation) + " seq " + std::to_string(e.seq);
}

}  // namespace

void check_ledger(Ledger& l, Stats& stats) {
  std::sort(l.acked.begin(), l.acked.end(), before);
  std::sort(l.received.begin(), l.received.end(), before);
  stats.add("acked", static_cast<double>(l.acked.size()));
  stats.add("delivered", static_cast<double>(l.received.size()));
  std::size_t r = 0;
  auto& rec = l.received;
  for (std::size_t a = 0; a < l.acked.size(); ++a) {
    const LedgerEntry& ack = l.acked[a];
    if (a > 0 && !before(l.acked[a - 1], ack)) {
      stats.add("seq_reused");
      stats.error("two acks for " + where(ack));
      continue;
    }
    while (r < rec.size() && before(rec[r], ack)) {
      stats.add("delivered_without_ack");
      stats.error("delivered but never acknowledged: " + where(rec[r]));
      ++r;
    }
    std::size_t copies = 0;
    for (; r < rec.size() && !before(ack, rec[r]); ++r) {
      ++copies;
      if (rec[r].user == ack.user) {
        stats.add("delivered_to_sender");
        stats.error("sender received its own message: " + where(ack));
      }
    }
    if (copies == 0) {
      stats.add("lost");
      stats.error("lost: " + where(ack));
    } else if (copies > 1) {
      stats.add("duplicates", static_cast<double>(copies - 1));
      stats.error("duplicate delivery: " + where(ack) + " x" + std::to_string(copies));
    }
  }
  for (; r < rec.size(); ++r) {
    stats.add("delivered_without_ack");
    stats.error("delivered but never acknowledged: " + where(rec[r]));
  }
}

void check_group_ledger(Ledger& l, const std::unordered_map<int64_t, std::vector<int64_t>>& members,
                        const std::unordered_map<int64_t, int64_t>& first_seq, Stats& stats) {
  auto by_user = [](const LedgerEntry& a, const LedgerEntry& b) {
    return before(a, b) || (!before(b, a) && a.user < b.user);
  };
  std::sort(l.acked.begin(), l.acked.end(), before);
  std::sort(l.received.begin(), l.received.end(), by_user);
  stats.add("acked", static_cast<double>(l.acked.size()));
  stats.add("delivered", static_cast<double>(l.received.size()));
  auto& rec = l.received;
  std::size_t r = 0;
  int64_t conv = 0, next_seq = 0;
  for (std::size_t a = 0; a < l.acked.size(); ++a) {
    const LedgerEntry& ack = l.acked[a];
    if (ack.conversation != conv) {
      conv = ack.conversation;
      auto f = first_seq.find(conv);
      next_seq = f == first_seq.end() ? 1 : f->second;
    }
    if (a > 0 && !before(l.acked[a - 1], ack)) {
      stats.add("seq_reused");
      stats.error("two acks for " + where(ack));
      continue;
    }
    if (ack.seq != next_seq) {
      stats.add("seq_gaps");
      stats.error("seq gap: " + where(ack) + " follows seq " + std::to_string(next_seq - 1));
    }
    next_seq = ack.seq + 1;
    while (r < rec.size() && before(rec[r], ack)) {
      stats.add("delivered_without_ack");
      stats.error("delivered but never acknowledged: " + where(rec[r]));
      ++r;
    }
    static const std::vector<int64_t> kNone;
    auto m = members.find(ack.conversation);
    const std::vector<int64_t>& group = m == members.end() ? kNone : m->second;
    std::size_t expected = 0, got = 0;
    for (int64_t u : group) expected += u != ack.user;
    for (int64_t last_user = -1; r < rec.size() && !before(ack, rec[r]); ++r) {
      int64_t u = rec[r].user;
      if (u == last_user) {
        stats.add("duplicates");
        stats.error("duplicate delivery: " + where(ack) + " to user " + std::to_string(u));
        continue;
      }
      last_user = u;
      if (u == ack.user) {
        stats.add("delivered_to_sender");
        stats.error("sender received its own message: " + where(ack));
      } else if (std::find(group.begin(), group.end(), u) == group.end()) {
        stats.add("delivered_to_non_member");
        stats.error("delivered to non-member " + std::to_string(u) + ": " + where(ack));
      } else {
        ++got;
      }
    }
    if (got < expected) {
      stats.add("lost", static_cast<double>(expected - got));
      stats.error("lost: " + where(ack) + " missed by " + std::to_string(expected - got) + " of " +
                  std::to_string(expected) + " members");
    }
  }
  for (; r < rec.size(); ++r) {
    stats.add("delivered_without_ack");
    stats.error("delivered but never acknowledged: " + where(rec[r]));
  }
}

bool OrderCheck::observe(int64_t conversation, int64_t seq, Stats& stats) {
  auto [it, inserted] = last_.emplace(conversation, seq);
  if (inserted) return true;
  if (seq <= it->second) {
    stats.add("out_of_order");
    stats.error("conversation " + std::to_string(conversation) + ": seq " + std::to_string(seq) + " after " +
                std::to_string(it->second));
    return false;
  }
  it->second = seq;
  return true;
}

int64_t OrderCheck::last(int64_t conversation) const {
  auto it = last_.find(conversation);
  return it == last_.end() ? 0 : it->second;
}

}  // namespace bench
