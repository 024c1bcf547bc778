// Admission of TCP connections (internal to net/; knows no sockets). Thread-safe: one
// mutex, taken at accept, when a connection starts or ends waiting for a request, at
// authentication and at close; never per frame.
//
// Every admitted connection holds a Ticket until it closes. A connection is *idle* while
// it has not authenticated and is not in the middle of a request: an HTTP connection
// waiting for a request head (keep-alive, or the first request not yet sent), a TLS
// handshake, a WebSocket before its `auth`. Idle connections are the ones that may be
// shed to make room: an idle connection costs its client nothing to reopen.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::net {

class ConnectionLimits {
 public:
  struct Limits {
    std::size_t max_total = 0;        // open connections server-wide; 0: no limit
    std::size_t max_per_address = 0;  // open connections per client address; 0: no limit
  };
  enum class Refusal { kAddressFull, kServerFull };

  class Ticket;
  struct Admission {
    std::unique_ptr<Ticket> ticket;  // null when refused
    Refusal refusal = Refusal::kServerFull;
    bool shed_one = false;  // an idle connection was shed to make room
  };

  explicit ConnectionLimits(Limits limits);

  // Admits a new connection from `address` (idle until told otherwise). Refused when the
  // address already holds max_per_address connections, or when max_total are open and none
  // of them is idle. At max_total the connection idle for the longest is shed: its closer
  // runs (on this thread, outside the lock) and its place is given to the new one at once.
  Admission admit(const std::string& address);

  // Admits a connection whose client address is not known yet (one from a trusted proxy,
  // before its PROXY header): it counts toward max_total only, under no address, until
  // Ticket::set_address. Refused, or sheds, as admit does at max_total.
  Admission admit_unaddressed();

  // Sheds the connection idle for the longest (accept ran out of descriptors). False if
  // no connection is idle.
  bool shed_oldest_idle();

  std::size_t open() const;
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    std::optional<std::string> address;  // none: counted toward no address yet
    std::function<void()> closer;
    Ticket* owner = nullptr;
  };
  struct State {
    mutable std::mutex mu;
    // Guarded by mu. `idle` is ordered by the time each connection became idle.
    std::list<Entry> idle, busy;
    std::unordered_map<std::string, std::size_t> per_address;
    std::size_t total = 0;
    std::size_t max_per_address = 0;  // constant: Limits::max_per_address
  };
  Admission admit_as(std::optional<std::string> address);
  // Removes the oldest idle entry (mu held); returns its closer.
  static std::function<void()> take_oldest_idle(State& s);
  static void release(State& s, std::list<Entry>::iterator it, std::list<Entry>& from);

  const Limits limits_;
  const std::shared_ptr<State> state_;  // shared with the tickets, which may outlive us
};

// One admitted connection's place. Destroying it frees the place (unless the connection
// was shed, which freed it already). Calls may come from any thread.
class ConnectionLimits::Ticket {
 public:
  ~Ticket();
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

  // Idle connections may be shed; busy ones never are. An authenticated connection stays
  // busy for good.
  void set_idle(bool idle);
  // How to close this connection when it is shed: called at most once, from any thread,
  // with no lock held; it must only post work to the connection's strand. Replaces the
  // previous closer (the stream moved to a new owner). If the connection was already shed,
  // `closer` runs at once.
  void set_closer(std::function<void()> closer);
  // Counts the connection under `address` from now on instead of the address it had (or
  // none). False, and nothing changes, when `address` already holds max_per_address other
  // connections or the connection was shed: the caller closes it.
  bool set_address(const std::string& address);
  // True once the connection was shed (its place is already free).
  bool shed() const;

 private:
  friend class ConnectionLimits;
  explicit Ticket(std::shared_ptr<State> state) : state_(std::move(state)) {}
  const std::shared_ptr<State> state_;
  // Guarded by state_->mu.
  std::list<Entry>::iterator it_;
  bool idle_ = true;
  bool shed_ = false;
};

}  // namespace parley::net
