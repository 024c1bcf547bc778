// Gathers what one thread hands to WebSocket connections while a SendBatch is open on it,
// and hands each connection its share in one post when the batch closes.
//
// Why: the committer's finisher fans a committed batch out to every member's connections.
// Posted one by one, a message to a group of 100 costs 100 posts, each taking the I/O
// scheduler's lock and often waking a thread; within one committed batch a member usually
// gets several frames (one per message of its groups), and now gets them in one post.
//
// Contract: while a batch is open on a thread, every frame, close and posted function that
// thread gives a connection (WsConnection::send, send_event, close, post) is kept here in
// the order given, and runs on the connection's strand in that order once the batch closes
// (or earlier, when it holds kFlushItems items: then what was kept so far is posted, and a
// later post of the same thread runs after it on each strand). Nothing is reordered for any
// one connection; between connections there was never an order. Batches nest: only the
// outermost one posts. A thread with no open batch posts at once, as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::net {

// One thing for a connection's strand: a frame to queue (`since` as for an event: when it
// was handed over, 0 for an answer), or a function to run.
struct BatchItem {
  std::shared_ptr<const std::string> frame;
  int64_t since = 0;
  // Boxed: functions are rare (closes, revocations), frames are most items, and a bare
  // std::function would make every item 32 bytes larger.
  std::unique_ptr<std::function<void()>> fn;
};

// A connection that can take several items in one post (ws_session.h).
class BatchedConnection {
 public:
  // Runs `items` on the connection's strand, in order, from one post. Thread-safe.
  virtual void post_batch(std::vector<BatchItem> items) = 0;

 protected:
  ~BatchedConnection() = default;
};

class SendBatch {
 public:
  // The most items one batch keeps before it posts what it has (bounds its memory: a batch
  // of the committer's largest to a group of thousands would otherwise hold millions).
  static constexpr std::size_t kFlushItems = 65536;

  SendBatch();
  ~SendBatch();  // posts what is kept (the outermost batch only)
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // The batch open on this thread (the outermost), or nullptr.
  static SendBatch* current();

  // Keeps `item` for `connection`, after what was kept for it before.
  void add(std::shared_ptr<BatchedConnection> connection, BatchItem item);

  // Items kept and not yet posted.
  std::size_t size() const { return items_; }

 private:
  void flush();

  struct Target {
    std::shared_ptr<BatchedConnection> connection;
    std::vector<BatchItem> items;
  };
  bool outermost_;
  std::vector<Target> targets_;  // in the order each connection first got an item
  std::unordered_map<const BatchedConnection*, std::size_t> index_;  // into targets_
  std::size_t items_ = 0;
};

}  // namespace parley::net
