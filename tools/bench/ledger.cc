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
