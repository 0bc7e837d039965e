// The service's shared state (Service::Impl) and helpers used by service.cc and jobs.cc.
// Internal to src/service.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/catalog_doc.h"
#include "service/service.h"

namespace schemaport::service {

namespace internal {

std::string Trim(std::string_view s);
Status CheckPassword(const Secret& password, const Options& options);
// Lower-cased and trimmed; kInvalidArgument "Email: ..." otherwise.
Result<std::string> CheckEmail(std::string_view email);
// Trimmed, 1..max code points, no control characters; errors start with `label`.
Result<std::string> CheckName(std::string_view label, std::string_view name, std::size_t max);

}  // namespace internal

UserView ToView(const store::User& u);
SavedTableView ToView(const store::SavedTable& t);

// One running job: its progress as the workers see it, shared with its heartbeat.
struct RunningJob {
  store::Job job;
  std::string owner;
  warehouse::CancelToken cancel;
  std::atomic<bool> lease_lost{false};
  std::atomic<bool> cancel_requested{false};
  std::mutex mu;
  std::int64_t done = 0;   // guarded by mu
  std::int64_t total = 0;  // guarded by mu
  std::string step;        // guarded by mu

  void Progress(std::int64_t d, std::int64_t t, std::string s) {
    std::lock_guard lock(mu);
    done = d;
    total = t;
    step = std::move(s);
  }
};

struct Service::Impl {
  Impl(Deps d, Options o);

  Deps deps;
  Options options;
  std::string instance_id;

  // First-run setup: the hash of the one-time token.
  std::mutex setup_mu;
  std::optional<std::string> setup_hash;  // guarded by setup_mu

  // Login throttling: failure times per account (e-mail) and per client address.
  std::mutex throttle_mu;
  std::map<std::string, std::deque<TimePoint>> account_failures;  // guarded by throttle_mu
  std::map<std::string, std::deque<TimePoint>> address_failures;  // guarded by throttle_mu

  // Workers.
  std::mutex workers_mu;
  std::condition_variable workers_cv;
  bool stopping = false;             // guarded by workers_mu
  std::uint64_t wakeups = 0;         // guarded by workers_mu; bumped when a job is queued
  std::vector<std::thread> workers;  // guarded by workers_mu
  std::set<RunningJob*> running;     // guarded by workers_mu

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Audit(const std::string& org_id, const std::string& actor, std::string action,
             const std::string& target, const nlohmann::json& detail);
  Status RequireAdmin(const Principal& who);
  Result<SignedIn> SignIn(const store::User& user, const store::Org& org);
  std::string Csrf(const Secret& session_token) const;
  Status CheckThrottle(const std::string& account, const std::string& address);
  void RecordFailure(const std::string& account, const std::string& address);

  Result<const warehouse::ConnectorType*> FindType(const std::string& data_store) const;
  Result<warehouse::ConnectionSettings> CheckSettings(
      const warehouse::ConnectorType& type, const std::map<std::string, std::string>& settings,
      const std::map<std::string, Secret>& secrets) const;
  Result<ConnectionView> ToConnectionView(const store::Connection& c,
                                          const store::ConnectionSummary* summary) const;
  Result<ConnectionView> ViewOne(const store::Connection& c);
  Result<std::unique_ptr<warehouse::Connector>> OpenConnector(const std::string& org_id,
                                                              const std::string& connection_id);

  Result<internal::CatalogDoc> LoadDoc(const std::string& org_id, const std::string& connection_id);
  Status StoreDoc(const std::string& org_id, const std::string& connection_id,
                  const internal::CatalogDoc& doc);

  // Data Map (data_map.cc). datamap_mu serialises this instance's changes to the decisions.
  std::mutex datamap_mu;
  struct LoadedMap;
  Result<datamap::Decisions> LoadDecisions(const std::string& org_id,
                                           const std::string& connection_id);
  Result<LoadedMap> LoadMap(const std::string& org_id, const std::string& connection_id);
  Result<DataMapView> BuildDataMapView(const std::string& org_id, const std::string& connection_id,
                                       const LoadedMap& loaded);
  // Save Metadata: keeps the relationships of the saved tables it replaced (sealed), for marks.
  Status RecordPreviousRelationships(const std::string& org_id, const std::string& connection_id,
                                     const std::vector<store::SavedTable>& previous);

  // Jobs (jobs.cc).
  Result<JobView> StartJob(const Principal& who, const std::string& connection_id, JobKind kind,
                           const nlohmann::json& input, nlohmann::json audit_detail);
  JobView ToJobView(const store::Job& job) const;
  void WorkerLoop();
  void RunClaimed(const store::Job& job, const std::string& owner);
  Status Execute(RunningJob& run);
  Status RunFetch(RunningJob& run, bool refresh, const std::vector<std::string>& databases);
  Status RunSave(RunningJob& run, const Selection& selection);
};

}  // namespace schemaport::service
