// Prometheus text exposition (format 0.0.4) of request, latency and Data API counters.
#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "server/server.h"

namespace schemaport::server {

namespace {

// Latency buckets in seconds: 1 ms to 10 s.
constexpr std::array<double, 14> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};

struct Histogram {
  std::array<std::uint64_t, kBuckets.size()> buckets{};  // non-cumulative counts
  std::uint64_t count = 0;
  double sum = 0;
};

// Label values: backslash, double quote and newline escaped.
std::string Escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

struct Metrics::Impl {
  mutable std::mutex mu;
  // (method, route, status) -> count
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> requests;
  // (method, route) -> latency histogram
  std::map<std::pair<std::string, std::string>, Histogram, std::less<>> latency;
  // (operation, outcome) -> count
  std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> data_api;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::RecordRequest(std::string_view method, std::string_view route, int status,
                            std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard lock(impl_->mu);
  ++impl_->requests[{std::string(method), std::string(route), status}];
  Histogram& h = impl_->latency[{std::string(method), std::string(route)}];
  if (bucket < kBuckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
}

void Metrics::RecordDataApiCall(std::string_view operation, std::string_view outcome) {
  std::lock_guard lock(impl_->mu);
  ++impl_->data_api[{std::string(operation), std::string(outcome)}];
}

std::string Metrics::Render(std::string_view extra) const {
  std::string out;
  out.reserve(8192);
  std::lock_guard lock(impl_->mu);
  out +=
      "# HELP schemaport_http_requests_total HTTP requests answered, by route template and "
      "status.\n";
  out += "# TYPE schemaport_http_requests_total counter\n";
  for (const auto& [key, count] : impl_->requests) {
    const auto& [method, route, status] = key;
    out += fmt::format(
        "schemaport_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
        Escape(method), Escape(route), status, count);
  }
  out +=
      "# HELP schemaport_http_request_duration_seconds Time from routing to response, by route "
      "template.\n";
  out += "# TYPE schemaport_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : impl_->latency) {
    const std::string labels =
        fmt::format("method=\"{}\",route=\"{}\"", Escape(key.first), Escape(key.second));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("schemaport_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                         labels, kBuckets[i], cumulative);
    }
    out += fmt::format("schemaport_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                       labels, h.count);
    out += fmt::format("schemaport_http_request_duration_seconds_sum{{{}}} {}\n", labels, h.sum);
    out +=
        fmt::format("schemaport_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
  }
  out +=
      "# HELP schemaport_data_api_calls_total Redshift Data API calls (each attempt), by operation "
      "and outcome.\n";
  out += "# TYPE schemaport_data_api_calls_total counter\n";
  for (const auto& [key, count] : impl_->data_api) {
    out += fmt::format("schemaport_data_api_calls_total{{operation=\"{}\",outcome=\"{}\"}} {}\n",
                       Escape(key.first), Escape(key.second), count);
  }
  out += extra;
  return out;
}

}  // namespace schemaport::server
