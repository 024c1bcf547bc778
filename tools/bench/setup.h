// Setting up a run: accounts over HTTP, direct conversations, groups, WebSocket connections. Each
// call spreads the work over the Runtime's shards and blocks until it is done.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "net.h"

namespace bench {

struct Account {
  int64_t id = 0;
  std::string username;
  std::string token;
};

// Registers accounts `<base>u<i>` for i in [0, n). Retries rate-limited calls.
parley::Result<std::vector<Account>> register_accounts(Runtime& rt, const Target& target, const std::string& base,
                                                       std::size_t n, int concurrency);

// Creates the direct conversation of each pair (by index into `accounts`); returns the ids.
parley::Result<std::vector<int64_t>> create_conversations(Runtime& rt, const Target& target,
                                                          const std::vector<Account>& accounts,
                                                          const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                                                          int concurrency);

struct GroupCreated {
  int64_t id = 0;
  int64_t last_seq = 0;  // seqs taken by the system messages of the creation
};

// Creates one group per entry of `members` (indices into `accounts`; the first one is the
// creator, the others are passed as member_ids), named `<name>-<i>`.
parley::Result<std::vector<GroupCreated>> create_groups(Runtime& rt, const Target& target,
                                                       const std::vector<Account>& accounts,
                                                       const std::vector<std::vector<std::size_t>>& members,
                                                       const std::string& name, int concurrency);

// Opens one authenticated WebSocket per token; connection i lives on rt.shard_for(i).
// The connections are not started (see WsConn::start) unless `on_ready` starts them: it runs
// on connection i's shard as soon as that one is ready, so a scenario that does not need
// the frames sent before its start can read (and answer the server's keepalive pings) from
// the first moment, as a real client does, however long opening the others takes. Fails on
// the first failed connect.
using OnReady = std::function<void(Shard& shard, std::size_t i, WsConn& conn)>;
parley::Result<std::vector<std::shared_ptr<WsConn>>> connect_all(Runtime& rt, const Target& target,
                                                                 const std::vector<std::string>& tokens,
                                                                 int concurrency, const char* latency_hist,
                                                                 const OnReady& on_ready = {});

// A `send` frame of one conversation, encoded once; make() patches the request id, the
// client id and the timestamp carried in the text into fixed-width fields of a copy.
class SendFrame {
 public:
  // words: the text after the timestamp is vocabulary words (vocab_word) chosen from the
  // counter, so that a store seeded with them can be searched; else padding.
  SendFrame(int64_t conversation_id, int text_bytes, bool words = false);
  std::string make(uint64_t counter, uint64_t stamp_ns) const;

 private:
  std::string frame_;
  std::size_t id_at_ = 0, client_at_ = 0, stamp_at_ = 0;
  std::size_t pad_at_ = 0, pad_len_ = 0;
  bool words_ = false;
  uint64_t conv_ = 0;
};

// The search vocabulary: kVocabulary distinct lower-case words of 2 to 4 syllables.
inline constexpr uint32_t kVocabulary = 20000;
std::string vocab_word(uint32_t index);
// A word index drawn Zipf-like (probability ~ 1/(rank+1)) from a uniform 64-bit number, so a
// few words are very common and most are rare, as in real text.
uint32_t zipf_index(uint64_t uniform);

// The timestamp make() put into a message text, or 0 when the text has none.
uint64_t text_stamp(std::string_view text);

// The request id make() used, parsed back from an answer's "id", or UINT64_MAX.
uint64_t answer_counter(const boost::json::value& id);

}  // namespace bench
