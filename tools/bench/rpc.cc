#include "rpc.h"

#include <boost/json.hpp>

#include "frames.h"

namespace bench {

namespace json = boost::json;

Rpc::Rpc(std::shared_ptr<WsConn> conn, OnEvent on_event) : conn_(std::move(conn)), on_event_(std::move(on_event)) {}

Rpc::~Rpc() { conn_->detach(); }

void Rpc::start(std::function<void(const std::string&)> on_close) {
  conn_->start([this](std::string_view f) { on_frame(f); },
               [this, cb = std::move(on_close)](const std::string& why) {
                 if (timer_) timer_->cancel();
                 if (cb) cb(why);
               });
}

void Rpc::on_frame(std::string_view f) {
  // One arena per frame, owned by the parsed value (and by the answer moved out of it):
  // one allocation instead of one per node, and no per-node frees. The answer's arena is
  // released with it.
  boost::system::error_code ec;
  json::value v = json::parse(f, ec, json::make_shared_resource<json::monotonic_resource>(f.size() * 2 + 256));
  if (ec || !v.is_object()) return;
  json::object& o = v.get_object();
  if (const json::value* id = o.if_contains("id"); id && id->is_int64() && id->get_int64() == awaited_ && awaited_) {
    answer_ = std::move(o);
    awaited_ = 0;
    if (timer_) timer_->cancel();
    return;
  }
  if (on_event_) on_event_(o);
}

asio::awaitable<parley::Result<json::object>> Rpc::call(std::string frame, std::chrono::nanoseconds timeout) {
  if (!conn_->open()) co_return make_error("connection closed");
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  int64_t id = next_id_++;
  awaited_ = id;
  answer_.reset();
  frame.insert(1, "\"id\":" + std::to_string(id) + ",");
  conn_->send(std::move(frame));
  timer_->expires_after(timeout);
  co_await timer_->async_wait(kAwait);
  if (!answer_) {
    awaited_ = 0;
    co_return make_error(conn_->open() ? "no answer in time" : "connection closed");
  }
  json::object a = std::move(*answer_);
  answer_.reset();
  if (str_field(a, "type") == "error")
    co_return make_error(std::string(str_field(a, "code")) + ": " + std::string(str_field(a, "message")));
  co_return a;
}

}  // namespace bench
