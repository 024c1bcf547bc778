// The exactly-once check. Senders record every acknowledged message (conversation, seq,
// sender); recipients record every message they got (conversation, seq, recipient). In a
// direct conversation each acknowledged message must have been received exactly once, by
// someone other than its sender. Order is checked where messages arrive (OrderCheck).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "stats.h"

namespace bench {

struct LedgerEntry {
  int64_t conversation = 0;
  int64_t seq = 0;
  int64_t user = 0;
};

struct Ledger {
  std::vector<LedgerEntry> acked;
  std::vector<LedgerEntry> received;
  void merge(Ledger&& other);
};

// Compares the two lists; adds counters (acked, delivered, lost, duplicates,
// delivered_without_ack, seq_reused, delivered_to_sender) and errors to `stats`.
void check_ledger(Ledger& ledger, Stats& stats);

// The same for groups: each acknowledged message must reach every member of its
// conversation (`members`, by conversation id) except its sender exactly once, and never its
// sender. An entry of `acked` with user 0 stands for a system message expected by every
// member. Within a conversation the acknowledged seqs must follow each other from
// `first_seq` (by conversation id) without a gap. Adds the counters of check_ledger (with
// `delivered` = copies received) plus seq_gaps, delivered_to_non_member.
void check_group_ledger(Ledger& ledger, const std::unordered_map<int64_t, std::vector<int64_t>>& members,
                        const std::unordered_map<int64_t, int64_t>& first_seq, Stats& stats);

// Per connection: messages of one conversation must arrive with growing seq.
class OrderCheck {
 public:
  // False (and an error in `stats`) when seq is not above the last one seen.
  bool observe(int64_t conversation, int64_t seq, Stats& stats);
  int64_t last(int64_t conversation) const;

 private:
  std::unordered_map<int64_t, int64_t> last_;
};

}  // namespace bench
