// Standard-mode retry quota and backoff; per-operation token buckets.
#include <algorithm>
#include <cmath>

#include "aws/internal.h"

namespace schemaport::aws {

bool RetryQuota::TryAcquire(bool timeout_error, int* cost_taken) {
  const int cost = timeout_error ? policy_.timeout_retry_cost : policy_.retry_cost;
  std::lock_guard<std::mutex> lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  if (cost_taken) *cost_taken = cost;
  return true;
}

void RetryQuota::OnSuccess(int cost_of_last_retry) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ =
      std::min(policy_.initial_quota, tokens_ + (cost_of_last_retry > 0 ? cost_of_last_retry : 1));
}

int RetryQuota::tokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_;
}

std::chrono::nanoseconds BackoffDelay(const RetryPolicy& policy, int retry_index, bool throttling,
                                      Random& random) {
  const double base_ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 throttling ? policy.throttling_base : policy.base)
                                                 .count());
  const double cap_ns = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(policy.max_backoff).count());
  const double ceiling = std::min(base_ns * std::pow(2.0, std::min(retry_index, 62)), cap_ns);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(random.NextDouble() * ceiling));
}

std::map<std::string, double, std::less<>> DefaultDataApiRates() {
  return {{"ExecuteStatement", 30.0},   {"BatchExecuteStatement", 20.0},
          {"GetStatementResult", 20.0}, {"GetStatementResultV2", 20.0},
          {"DescribeStatement", 100.0}, {"CancelStatement", 10.0},
          {"ListDatabases", 3.0},       {"ListSchemas", 3.0},
          {"ListTables", 3.0},          {"ListStatements", 3.0},
          {"DescribeTable", 3.0}};
}

RateLimiter::RateLimiter(std::map<std::string, double, std::less<>> rates, Clock& clock)
    : clock_(clock) {
  const auto now = clock_.Monotonic();
  for (const auto& [op, rate] : rates) {
    if (rate <= 0) continue;
    Bucket b;
    b.configured = b.rate = rate;
    b.tokens = std::max(1.0, rate);
    b.last = now;
    buckets_.emplace(op, b);
  }
}

void RateLimiter::Acquire(std::string_view operation) {
  std::chrono::nanoseconds wait{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = buckets_.find(operation);
    if (it == buckets_.end()) return;
    Bucket& b = it->second;
    const auto now = clock_.Monotonic();
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.last = now;
    b.tokens = std::min(std::max(1.0, b.rate), b.tokens + elapsed * b.rate);
    b.tokens -= 1.0;  // reserve, possibly going into debt that later callers wait behind
    if (b.tokens < 0) {
      wait = std::chrono::nanoseconds(static_cast<std::int64_t>(-b.tokens / b.rate * 1e9));
    }
  }
  if (wait.count() > 0) clock_.SleepFor(wait);
}

void RateLimiter::OnThrottled(std::string_view operation) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = buckets_.find(operation);
  if (it == buckets_.end()) return;
  Bucket& b = it->second;
  b.rate = std::max(b.configured / 8.0, b.rate / 2.0);
  b.tokens = std::min(b.tokens, 0.0);
}

void RateLimiter::OnSuccess(std::string_view operation) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = buckets_.find(operation);
  if (it == buckets_.end()) return;
  Bucket& b = it->second;
  b.rate = std::min(b.configured, b.rate + b.configured * 0.05);
}

double RateLimiter::CurrentRate(std::string_view operation) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = buckets_.find(operation);
  return it == buckets_.end() ? 0.0 : it->second.rate;
}

RateBudgets::RateBudgets(Clock& clock, std::map<std::string, double, std::less<>> rates,
                         double headroom)
    : clock_(clock), rates_(std::move(rates)) {
  for (auto& [op, rate] : rates_) rate *= headroom;
}

std::shared_ptr<RateLimiter> RateBudgets::ForAccount(std::string_view account,
                                                     std::string_view region) {
  std::string key = std::string(account) + "|" + std::string(region);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = budgets_.find(key);
  if (it == budgets_.end()) {
    it = budgets_.emplace(std::move(key), std::make_shared<RateLimiter>(rates_, clock_)).first;
  }
  return it->second;
}

std::shared_ptr<RateLimiter> RateBudgets::ForAccessKey(
    std::string_view access_key_id, std::string_view region,
    const std::function<Result<std::string>()>& account_of) {
  std::string account;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = accounts_.find(access_key_id); it != accounts_.end()) account = it->second;
  }
  if (account.empty()) {
    auto found =
        account_of ? account_of() : Result<std::string>(InvalidArgument("no account lookup"));
    account = found.ok() && !found->empty() ? *found : "access-key:" + std::string(access_key_id);
    std::lock_guard<std::mutex> lock(mu_);
    accounts_.emplace(std::string(access_key_id), account);
  }
  return ForAccount(account, region);
}

std::size_t RateBudgets::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return budgets_.size();
}

}  // namespace schemaport::aws
