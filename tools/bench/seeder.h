// Sending a fixed set of messages as fast as the server takes them: each sender keeps
// --window sends in flight and records every ack in a Ledger. Used to pile up messages
// (reconnect) and to fill the store (history).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger.h"
#include "net.h"
#include "setup.h"

namespace bench {

struct SeedJob {
  std::shared_ptr<WsConn> conn;  // connected, not started
  int64_t user_id = 0;
  std::vector<int64_t> conversations;
  int64_t per_conversation = 0;  // messages to send into each
};

// Runs every job (job i on rt.shard_for(i)) until all its sends are acknowledged or
// `timeout` passes; acks go to `ledger`, problems to the shards' stats. Closes the
// connections at the end. Returns the seconds it took.
// words: texts of vocabulary words (SendFrame).
double run_seed_jobs(Runtime& rt, std::vector<SeedJob>& jobs, int window, int text_bytes, double timeout_s,
                     Ledger& ledger, bool words = false);

// Checks that the acks of each conversation are exactly seq 1..N in `ledger` (a fresh
// conversation filled by one sender); adds errors to `stats`.
void check_contiguous_acks(Ledger& ledger, Stats& stats);

}  // namespace bench
