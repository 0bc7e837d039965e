// Fault injection, call counters and the statement log: the emulator's observable knobs.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config.h"

namespace schemaport::emulator {

// The Data API's request quotas for the emulator's one account and Region: a token bucket per
// operation holding one second's worth of calls, refilled at the operation's rate on the
// emulator's clock. Every caller of the account draws from the same buckets, as on AWS.
// Thread safety: all methods are thread-safe.
class RequestQuotas {
 public:
  RequestQuotas(std::map<std::string, double> rates_per_second, const Clock& clock);
  // True when the call may proceed (a token was taken); false: answer ThrottlingException.
  bool TryAcquire(const std::string& operation);
  void Set(std::map<std::string, double> rates_per_second);
  std::map<std::string, double> Get() const;

 private:
  struct Bucket {
    double rate = 0, tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

// Decides, per call, from a seeded generator, what goes wrong. Per-operation specs replace the
// global spec field by field where they are set (a per-operation spec is complete: it is used
// instead of the global one). Thread safety: all methods are thread-safe.
class FaultInjector {
 public:
  enum class Action { kNone, kThrottle, kError500, kError503, kDrop };
  struct Decision {
    std::chrono::milliseconds latency{0};
    Action action = Action::kNone;
  };

  FaultInjector(FaultsConfig config, std::uint64_t seed);

  Decision ForCall(const std::string& operation);
  // Whether a statement about to run should fail instead: the operation's statement_fail when it
  // has its own spec ("ExecuteStatement", "BatchExecuteStatement"), else the global one.
  bool FailStatement(const std::string& operation);

  FaultsConfig Get() const;
  void Set(FaultsConfig config);
  // Reseeds the generator (admin endpoint), so a run can be replayed.
  void Reseed(std::uint64_t seed);

 private:
  const FaultSpec& SpecFor(const std::string& operation) const;
  mutable std::mutex mu_;
  FaultsConfig config_;
  std::unique_ptr<SeededRandom> random_;
};

// Counts calls by operation and outcome ("ok", or the error code). Thread-safe.
class Counters {
 public:
  void Add(const std::string& operation, const std::string& outcome);
  nlohmann::json ToJson() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::int64_t>> counts_;
};

struct StatementLogEntry {
  std::string time;  // ISO-8601
  std::string statement_id;
  std::string identity;  // caller ARN
  std::string db_user;
  std::string database;  // Redshift database name
  std::string sql;
  std::string outcome;  // FINISHED, FAILED, ABORTED
  std::string error;
};

// Every statement executed, kept in memory (for the admin endpoint) and appended as JSON lines
// to a file when a path is configured. Thread-safe.
class StatementLog {
 public:
  explicit StatementLog(std::string path);
  ~StatementLog();
  StatementLog(const StatementLog&) = delete;
  StatementLog& operator=(const StatementLog&) = delete;

  void Add(StatementLogEntry entry);
  nlohmann::json ToJson() const;
  void Clear();
  static nlohmann::json EntryToJson(const StatementLogEntry& e);

 private:
  mutable std::mutex mu_;
  std::vector<StatementLogEntry> entries_;
  std::FILE* file_ = nullptr;
};

}  // namespace schemaport::emulator
