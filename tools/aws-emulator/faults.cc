#include "faults.h"

namespace schemaport::emulator {

FaultInjector::FaultInjector(FaultsConfig config, std::uint64_t seed)
    : config_(std::move(config)), random_(std::make_unique<SeededRandom>(seed)) {}

const FaultSpec& FaultInjector::SpecFor(const std::string& operation) const {
  auto it = config_.operations.find(operation);
  return it == config_.operations.end() ? config_.global : it->second;
}

FaultInjector::Decision FaultInjector::ForCall(const std::string& operation) {
  std::lock_guard<std::mutex> lock(mu_);
  const FaultSpec& spec = SpecFor(operation);
  Decision d;
  std::int64_t ms = spec.latency_ms;
  if (spec.jitter_ms > 0)
    ms +=
        static_cast<std::int64_t>(random_->Uniform(static_cast<std::uint64_t>(spec.jitter_ms) + 1));
  d.latency = std::chrono::milliseconds(ms);
  // One draw decides among the exclusive outcomes, in a fixed order.
  double x = random_->NextDouble();
  double edge = spec.throttle;
  if (x < edge) {
    d.action = Action::kThrottle;
  } else if (x < (edge += spec.error_500)) {
    d.action = Action::kError500;
  } else if (x < (edge += spec.error_503)) {
    d.action = Action::kError503;
  } else if (x < (edge += spec.drop)) {
    d.action = Action::kDrop;
  }
  return d;
}

bool FaultInjector::FailStatement(const std::string& operation) {
  std::lock_guard<std::mutex> lock(mu_);
  double p = SpecFor(operation).statement_fail;
  return p > 0 && random_->NextDouble() < p;
}

FaultsConfig FaultInjector::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

void FaultInjector::Set(FaultsConfig config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(config);
}

void FaultInjector::Reseed(std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  random_ = std::make_unique<SeededRandom>(seed);
}

void Counters::Add(const std::string& operation, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[operation][outcome];
}

nlohmann::json Counters::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [op, outcomes] : counts_) {
    for (const auto& [outcome, n] : outcomes) out[op][outcome] = n;
  }
  return out;
}

void Counters::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  counts_.clear();
}

StatementLog::StatementLog(std::string path) {
  if (!path.empty()) file_ = std::fopen(path.c_str(), "a");
}

StatementLog::~StatementLog() {
  if (file_) std::fclose(file_);
}

nlohmann::json StatementLog::EntryToJson(const StatementLogEntry& e) {
  nlohmann::json j = {{"time", e.time},         {"statement_id", e.statement_id},
                      {"identity", e.identity}, {"db_user", e.db_user},
                      {"database", e.database}, {"sql", e.sql},
                      {"outcome", e.outcome}};
  if (!e.error.empty()) j["error"] = e.error;
  return j;
}

void StatementLog::Add(StatementLogEntry entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_) {
    std::string line =
        EntryToJson(entry).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }
  entries_.push_back(std::move(entry));
}

nlohmann::json StatementLog::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const StatementLogEntry& e : entries_) out.push_back(EntryToJson(e));
  return out;
}

void StatementLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

RequestQuotas::RequestQuotas(std::map<std::string, double> rates, const Clock& clock)
    : clock_(clock) {
  Set(std::move(rates));
}

void RequestQuotas::Set(std::map<std::string, double> rates) {
  std::lock_guard<std::mutex> lock(mu_);
  buckets_.clear();
  const auto now = clock_.Monotonic();
  for (const auto& [op, rate] : rates) {
    if (rate > 0) buckets_[op] = Bucket{rate, std::max(1.0, rate), now};
  }
}

std::map<std::string, double> RequestQuotas::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, double> out;
  for (const auto& [op, b] : buckets_) out[op] = b.rate;
  return out;
}

bool RequestQuotas::TryAcquire(const std::string& operation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(operation);
  if (it == buckets_.end()) return true;
  Bucket& b = it->second;
  const auto now = clock_.Monotonic();
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.last = now;
  b.tokens = std::min(std::max(1.0, b.rate), b.tokens + elapsed * b.rate);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace schemaport::emulator
