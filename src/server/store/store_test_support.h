// Helpers for tests written against the Store interface: run a lambda as a write batch,
// and a throw-away directory for database files.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

#include "server/store/store.h"

namespace parley::store::test {

// An op from a function; a function returning Status reports the op's outcome (an error
// undoes what it wrote), one returning nothing always succeeds.
class FnOp final : public WriteOp {
 public:
  explicit FnOp(std::function<void(WriteTxn&)> fn)
      : fn_([fn = std::move(fn)](WriteTxn& txn) {
          fn(txn);
          return Status{};
        }) {}
  explicit FnOp(std::function<Status(WriteTxn&)> fn) : fn_(std::move(fn)) {}
  Status apply(WriteTxn& txn) override { return fn_(txn); }

 private:
  std::function<Status(WriteTxn&)> fn_;
};

// Runs fn(txn) as a batch of one and returns what it returned. The batch must commit.
template <class Fn>
auto in_txn(Store& store, Fn fn) -> std::invoke_result_t<Fn&, WriteTxn&> {
  std::optional<std::invoke_result_t<Fn&, WriteTxn&>> out;
  FnOp op([&](WriteTxn& txn) { out.emplace(fn(txn)); });
  WriteOp* ops[] = {&op};
  Status status = store.write(ops);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  EXPECT_TRUE(out.has_value());
  return std::move(*out);
}

// Runs several ops as one batch.
inline Status write_batch(Store& store, std::vector<std::function<void(WriteTxn&)>> fns) {
  std::vector<FnOp> ops;
  ops.reserve(fns.size());
  for (auto& fn : fns) ops.emplace_back(std::move(fn));
  std::vector<WriteOp*> pointers;
  for (auto& op : ops) pointers.push_back(&op);
  return store.write(pointers);
}

// Runs several ops that report their outcome as one batch.
inline Status write_ops(Store& store, std::vector<std::function<Status(WriteTxn&)>> fns) {
  std::vector<FnOp> ops;
  ops.reserve(fns.size());
  for (auto& fn : fns) ops.emplace_back(std::move(fn));
  std::vector<WriteOp*> pointers;
  for (auto& op : ops) pointers.push_back(&op);
  return store.write(pointers);
}

// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("parley-store-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::store::test
