// The service's shared state (Service::Impl) and helpers used by service.cc and jobs.cc.
// Internal to src/service.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <memory>
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

// A catalog document as decoded at one store revision (store::FetchedCatalog::revision), shared
// read-only: the service's cache holds it, readers keep it alive while they use it.
struct LoadedDoc {
  LoadedDoc(std::string rev, internal::CatalogDoc d);
  LoadedDoc(const LoadedDoc&) = delete;
  LoadedDoc& operator=(const LoadedDoc&) = delete;

  std::string revision;  // "" for a row written before revisions: never cached
  internal::CatalogDoc doc;
  // The column marks of each table that has some (points into doc.column_marks).
  std::map<warehouse::TableRef, const internal::ColumnMarks*> marks_by_table;
};
using DocPtr = std::shared_ptr<const LoadedDoc>;

// Decoded catalog documents of the connections read most recently, up to a number of tables
// in all. An entry is only ever returned for the revision it was decoded at, so the store's
// revision (one cheap read) decides whether it is still the document: a write by this or any
// other instance sharing the store makes a new revision.
// Thread safety: thread-safe.
class DocCache {
 public:
  explicit DocCache(std::int64_t max_tables) : max_tables_(max_tables) {}
  // The document of the connection decoded at `revision`, or null.
  DocPtr Find(const std::string& connection_id, const std::string& revision);
  // Keeps `doc` (replacing the connection's entry) unless it is larger than the whole cache
  // or has no revision; drops the least recently used entries past the limit.
  void Put(const std::string& connection_id, DocPtr doc);
  void Erase(const std::string& connection_id);

 private:
  std::mutex mu_;
  std::int64_t max_tables_;
  std::int64_t tables_ = 0;                            // guarded by mu_
  std::list<std::pair<std::string, DocPtr>> entries_;  // guarded by mu_; most recent first
};

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

  // Decoded catalog documents (see DocCache).
  DocCache docs;

  // The connection's catalog document: from the cache when the store's revision is the cached
  // one, otherwise read, decoded and cached. kNotFound when none is kept (or it expired).
  Result<DocPtr> LoadDoc(const std::string& org_id, const std::string& connection_id);
  Status StoreDoc(const std::string& org_id, const std::string& connection_id,
                  const internal::CatalogDoc& doc);

  // Data Map (data_map.cc).
  struct LoadedMap;
  Result<datamap::Decisions> LoadDecisions(const std::string& org_id,
                                           const std::string& connection_id);
  // Applies `change` to the stored decisions in one read-modify-write of the store (writers take
  // turns across instances, so a concurrent decision is never lost); the decisions as stored.
  Result<datamap::Decisions> UpdateDecisions(
      const std::string& org_id, const std::string& connection_id,
      const std::function<void(datamap::Decisions&)>& change);
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
