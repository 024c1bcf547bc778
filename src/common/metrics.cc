#include "common/metrics.h"

#include <cmath>
#include <cstdio>

namespace parley {

Histogram::Histogram(std::initializer_list<double> bounds)
    : bounds_(bounds), counts_(bounds.size() + 1) {}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)), std::memory_order_relaxed);
}

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void line(std::string& out, const std::string& name, uint64_t value) {
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void header(std::string& out, const std::string& name, const char* type, const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void append_metric(std::string& out, const std::string& name, const char* type, const std::string& help,
                   uint64_t value) {
  header(out, name, type, help);
  line(out, name, value);
}

void append_summary_us(std::string& out, const std::string& name, const std::string& help, uint64_t sum_us,
                       uint64_t count) {
  header(out, name, "summary", help);
  const std::string frac = std::to_string(sum_us % 1000000);
  out += name + "_sum " + std::to_string(sum_us / 1000000) + "." + std::string(6 - frac.size(), '0') + frac + "\n";
  line(out, name + "_count", count);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? num(bounds_[i]) : "+Inf";
    line(out, name + "_bucket{le=\"" + le + "\"}", cumulative);
  }
  out += name + "_sum " + num(static_cast<double>(sum_micro_.load()) / 1e6) + "\n";
  line(out, name + "_count", count_.load());
}

Metrics::Metrics()
    : send_to_durable_seconds({0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}),
      commit_seconds({0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}),
      commit_batch_size({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}),
      media_processing_seconds({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      event_delivery_seconds({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}) {}

std::string Metrics::render(std::size_t subscribers) const {
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    header(out, name, "counter", help);
    line(out, name, v);
  };
  header(out, "parley_ws_connections", "gauge", "Open WebSocket connections.");
  line(out, "parley_ws_connections", static_cast<uint64_t>(std::max<int64_t>(0, ws_connections.value())));
  header(out, "parley_ws_queued_bytes", "gauge", "Bytes queued for WebSocket clients, not yet written.");
  line(out, "parley_ws_queued_bytes", static_cast<uint64_t>(std::max<int64_t>(0, ws_queued_bytes.value())));
  header(out, "parley_subscribed_devices", "gauge", "Authenticated devices receiving events.");
  line(out, "parley_subscribed_devices", subscribers);
  counter("parley_ws_connections_total", "WebSocket connections accepted.", ws_connections_total.value());
  counter("parley_http_requests_total", "HTTP requests answered.", http_requests.value());
  counter("parley_frames_in_total", "WebSocket frames received.", frames_in.value());
  counter("parley_frames_out_total", "WebSocket frames written.", frames_out.value());
  counter("parley_bytes_in_total", "WebSocket payload bytes received.", bytes_in.value());
  counter("parley_bytes_out_total", "WebSocket payload bytes written.", bytes_out.value());
  counter("parley_messages_committed_total", "New messages made durable.", messages_committed.value());
  counter("parley_message_events_total", "Message events queued to recipients' devices.", message_events.value());
  counter("parley_slow_client_disconnects_total", "Connections closed because their write queue overflowed.", slow_client_disconnects.value());
  counter("parley_connections_refused_total", "Connections closed at accept because a connection cap was reached.", connections_refused.value());
  counter("parley_connections_shed_total", "Idle connections closed to make room for new ones.", connections_shed.value());
  counter("parley_proxy_headers_refused_total", "Connections from trusted proxies closed for a missing, malformed or late PROXY header.",
          proxy_headers_refused.value());
  counter("parley_queue_budget_disconnects_total", "Connections cut because the server-wide queue budget was full.", queue_budget_disconnects.value());
  counter("parley_rate_limited_total", "Requests refused by a rate limit.", rate_limited.value());
  counter("parley_presence_changes_total", "Users announced online or offline.", presence_changes.value());
  counter("parley_presence_frames_total", "Presence frames sent to subscribed devices.", presence_frames.value());
  counter("parley_push_sent_total", "Pushes accepted by a push service or the gateway.", push_sent.value());
  counter("parley_push_failed_total", "Pushes given up.", push_failed.value());
  counter("parley_push_retried_total", "Push attempts retried after a 429, 5xx or timeout.", push_retried.value());
  counter("parley_push_subscriptions_removed_total", "Push registrations removed on 404/410 or a gateway's rejection.",
          push_subscriptions_removed.value());
  header(out, "parley_errors_total", "counter", "Error answers by protocol error code.");
  for (std::size_t i = 0; i <= static_cast<std::size_t>(Errc::kUnavailable); ++i)
    line(out, std::string("parley_errors_total{code=\"") + std::string(errc_name(static_cast<Errc>(i))) + "\"}", errors[i].value());
  send_to_durable_seconds.render(out, "parley_send_to_durable_seconds", "From a send being parsed to its commit.");
  commit_seconds.render(out, "parley_commit_seconds", "Duration of one group-commit transaction.");
  commit_batch_size.render(out, "parley_commit_batch_size", "Operations per group-commit transaction.");
  media_processing_seconds.render(out, "parley_media_processing_seconds",
                                  "Processing one upload: decode, full image, thumbnail, placeholder.");
  event_delivery_seconds.render(out, "parley_event_delivery_seconds",
                                "From an event (message, receipt, presence, ...) reaching a connection's queue to its last byte written to the socket.");
  return out;
}

}  // namespace parley
