// Jobs: starting them, the worker pool, and the fetch, refresh and save jobs themselves.
//
// A worker claims a job from the store with a lease (so that several instances share the
// queue), runs it on its own thread, and a heartbeat thread beside it writes the progress every
// second or so, which extends the lease and brings back the job's cancel request (set by any
// instance). A cancel request, a lost lease or Stop() trips the job's CancelToken, which the
// connector polls. A job interrupted by Stop() is left to be reclaimed when its lease expires.
#include <algorithm>
#include <unordered_set>

#include "service/internal.h"

namespace schemaport::service {

using internal::CatalogDoc;
using internal::SelectionMatcher;
using warehouse::TableRef;
using Impl = Service::Impl;

namespace {

Status Cancelled() {
  return Status(Code::kCancelled, "the job was cancelled");
}

Result<nlohmann::json> ParseInput(const std::string& text) {
  nlohmann::json input = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded() || !input.is_object()) {
    return DataLoss("the job's parameters have an unexpected format; start it again");
  }
  return input;
}

nlohmann::json RefJson(const TableRef& r) {
  return nlohmann::json::array({r.database, r.schema, r.table});
}

Result<Selection> SelectionFromJson(const nlohmann::json& input) {
  Selection s;
  try {
    for (const auto& t : input.at("tables")) {
      s.tables.push_back(TableRef{t.at(0).get<std::string>(), t.at(1).get<std::string>(),
                                  t.at(2).get<std::string>()});
    }
    s.include = input.at("include").get<std::vector<std::string>>();
    s.exclude = input.at("exclude").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return DataLoss("the save job's selection has an unexpected format; save again");
  }
  return s;
}

std::string Plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Starting and reading jobs

JobView Impl::ToJobView(const store::Job& j) const {
  JobView v;
  v.id = j.id;
  v.kind = j.kind;
  v.state = j.state;
  v.connection_id = j.connection_id;
  v.done = j.progress_done;
  v.total = j.progress_total;
  v.step = j.step;
  if (j.state == store::JobState::kFailed) v.error = internal::DecodeJobError(j.error);
  v.cancel_requested = j.cancel_requested;
  v.created_at = j.created_at;
  v.updated_at = j.updated_at;
  return v;
}

Result<JobView> Impl::StartJob(const Principal& who, const std::string& connection_id, JobKind kind,
                               const nlohmann::json& input, nlohmann::json audit_detail) {
  SP_TRY(deps.store.GetConnection(who.org_id, connection_id));  // 404 for another org's id
  const store::Job job = SP_TRY(deps.store.CreateJob(
      {who.org_id, connection_id, std::string(JobKindName(kind)), input.dump()}));
  audit_detail["job_id"] = job.id;
  Audit(who.org_id, who.user_id, "metadata." + std::string(JobKindName(kind)), connection_id,
        audit_detail);
  {
    std::lock_guard lock(workers_mu);
    ++wakeups;
  }
  workers_cv.notify_one();
  return ToJobView(job);
}

Result<JobView> Service::StartFetch(const Principal& who, const std::string& connection_id,
                                    const std::vector<std::string>& databases) {
  if (databases.size() > 10'000) return InvalidArgument("databases: at most 10000");
  for (std::size_t i = 0; i < databases.size(); ++i) {
    const std::string& d = databases[i];
    if (d.empty() || d.size() > 127 ||
        std::any_of(d.begin(), d.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      return InvalidArgument("databases[" + std::to_string(i) +
                             "]: must be 1 to 127 bytes without control characters");
    }
  }
  return impl_->StartJob(who, connection_id, JobKind::kFetch, {{"databases", databases}},
                         {{"databases", databases.size()}});
}

Result<JobView> Service::StartRefresh(const Principal& who, const std::string& connection_id) {
  return impl_->StartJob(who, connection_id, JobKind::kRefresh, nlohmann::json::object(),
                         nlohmann::json::object());
}

Result<SaveStarted> Service::SaveSelection(const Principal& who, const std::string& connection_id,
                                           const Selection& selection) {
  Impl& m = *impl_;
  SP_TRY(SelectionMatcher::Make(selection, MatchCase::kExact));  // bad patterns first
  SP_TRY(m.deps.store.GetConnection(who.org_id, connection_id));
  auto doc = m.LoadDoc(who.org_id, connection_id);
  if (!doc.ok() && doc.status().code() == Code::kNotFound) {
    return FailedPrecondition(
        "no metadata fetched yet for this connection; run Fetch Metadata first");
  }
  if (!doc.ok()) return doc.status();
  const SelectionMatcher matcher =
      SP_TRY(SelectionMatcher::Make(selection, internal::MatchCaseOf((*doc)->doc)));
  std::set<TableRef> fetched;
  std::int64_t selected = 0;
  TableRef ref;
  for (const auto& d : (*doc)->doc.databases) {
    ref.database = d.name;
    for (const auto& s : d.schemas) {
      ref.schema = s.name;
      for (const auto& t : s.tables) {
        ref.table = t.name;
        if (matcher.Selected(ref)) ++selected;
        fetched.insert(ref);
      }
    }
  }
  for (std::size_t i = 0; i < selection.tables.size(); ++i) {
    if (fetched.count(selection.tables[i]) == 0) {
      return InvalidArgument("tables[" + std::to_string(i) +
                             "]: is not in the last fetch; fetch the metadata again");
    }
  }
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : selection.tables) tables.push_back(RefJson(t));
  nlohmann::json input = {
      {"tables", tables}, {"include", selection.include}, {"exclude", selection.exclude}};
  JobView job = SP_TRY(m.StartJob(who, connection_id, JobKind::kSave, input,
                                  {{"selected", selected},
                                   {"include", selection.include.size()},
                                   {"exclude", selection.exclude.size()}}));
  return SaveStarted{std::move(job), selected};
}

Result<JobView> Service::GetJob(const Principal& who, const std::string& job_id) {
  return impl_->ToJobView(SP_TRY(impl_->deps.store.GetJob(who.org_id, job_id)));
}

Result<JobView> Service::CancelJob(const Principal& who, const std::string& job_id) {
  Impl& m = *impl_;
  const store::Job job = SP_TRY(m.deps.store.RequestJobCancel(who.org_id, job_id));
  m.Audit(who.org_id, who.user_id, "job.cancel", job_id, {{"kind", job.kind}});
  // A job of this instance stops now rather than at its next heartbeat.
  {
    std::lock_guard lock(m.workers_mu);
    for (RunningJob* run : m.running) {
      if (run->job.id == job_id) {
        run->cancel_requested = true;
        run->cancel.Cancel();
      }
    }
  }
  return m.ToJobView(job);
}

// ---------------------------------------------------------------------------------------------
// Workers

void Service::Start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.workers_mu);
  if (!m.workers.empty()) return;
  m.stopping = false;
  for (int i = 0; i < m.options.worker_threads; ++i) {
    m.workers.emplace_back([&m] { m.WorkerLoop(); });
  }
}

void Service::Stop() {
  Impl& m = *impl_;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(m.workers_mu);
    m.stopping = true;
    for (RunningJob* run : m.running) run->cancel.Cancel();
    workers.swap(m.workers);
  }
  m.workers_cv.notify_all();
  for (auto& t : workers) t.join();
}

Result<bool> Service::RunOneJob() {
  Impl& m = *impl_;
  const std::string owner = m.instance_id + "-" + NewId(m.deps.random).substr(0, 8);
  auto claimed =
      SP_TRY(m.deps.store.ClaimJob(owner, m.options.job_lease, m.options.max_job_attempts));
  if (!claimed) return false;
  m.RunClaimed(*claimed, owner);
  return true;
}

void Impl::WorkerLoop() {
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(workers_mu);
      if (stopping) return;
      seen = wakeups;
    }
    const std::string owner = instance_id + "-" + NewId(deps.random).substr(0, 8);
    auto claimed = deps.store.ClaimJob(owner, options.job_lease, options.max_job_attempts);
    if (claimed.ok() && claimed->has_value()) {
      RunClaimed(**claimed, owner);
      continue;
    }
    if (!claimed.ok()) {
      Log(LogLevel::kWarn, "claiming a job failed", {{"error", claimed.status()}});
    }
    std::unique_lock lock(workers_mu);
    workers_cv.wait_for(lock, options.job_poll, [&] { return stopping || wakeups != seen; });
  }
}

void Impl::RunClaimed(const store::Job& job, const std::string& owner) {
  RunningJob run;
  run.job = job;
  run.owner = owner;
  run.Progress(job.progress_done, job.progress_total, "Starting");
  {
    std::lock_guard lock(workers_mu);
    running.insert(&run);
    if (stopping) run.cancel.Cancel();
  }
  if (job.cancel_requested) {
    run.cancel_requested = true;
    run.cancel.Cancel();
  }
  auto log = deps.logger ? deps.logger->With({{"job_id", job.id}}) : nullptr;
  if (log) log->Info("job started", {{"kind", job.kind}, {"attempt", job.attempts}});

  // Heartbeat: progress, lease extension and the cancel request, about every second.
  std::mutex hb_mu;
  std::condition_variable hb_cv;
  bool finished = false;
  const auto interval = std::clamp<std::chrono::milliseconds>(
      options.job_lease / 3, std::chrono::milliseconds(20), std::chrono::seconds(1));
  const auto push = [&] {
    std::int64_t done, total;
    std::string step;
    {
      std::lock_guard lock(run.mu);
      done = run.done;
      total = run.total;
      step = run.step;
    }
    auto r = deps.store.UpdateJobProgress(job.id, owner, done, total, step, options.job_lease);
    if (r.ok()) {
      if (*r) {
        run.cancel_requested = true;
        run.cancel.Cancel();
      }
    } else if (r.status().code() == Code::kFailedPrecondition) {
      run.lease_lost = true;
      run.cancel.Cancel();
    } else if (log) {
      log->Warn("job progress not recorded", {{"error", r.status()}});
    }
  };
  std::thread heartbeat([&] {
    std::unique_lock lock(hb_mu);
    while (!hb_cv.wait_for(lock, interval, [&] { return finished; })) {
      lock.unlock();
      push();
      lock.lock();
    }
  });

  Status result = Execute(run);

  {
    std::lock_guard lock(hb_mu);
    finished = true;
  }
  hb_cv.notify_all();
  heartbeat.join();
  bool shutting_down;
  {
    std::lock_guard lock(workers_mu);
    running.erase(&run);
    shutting_down = stopping;
  }
  if (run.lease_lost) {
    if (log) log->Warn("job lease lost to another instance; its result is discarded");
    return;
  }
  if (!result.ok() && run.cancel.cancelled() && !run.cancel_requested && shutting_down) {
    if (log) log->Info("job interrupted by shutdown; it will be taken up again");
    return;
  }
  std::string error;
  if (run.cancel_requested && !result.ok()) {
    error = internal::EncodeJobError(Cancelled());
  } else if (!result.ok()) {
    error = internal::EncodeJobError(result);
  } else {
    std::lock_guard lock(run.mu);
    run.done = run.total;
    run.step = "Done";
  }
  push();
  if (run.lease_lost) return;
  const Status finished_status = deps.store.FinishJob(
      job.id, owner, result.ok() ? store::JobState::kSucceeded : store::JobState::kFailed, error);
  if (log) {
    if (!finished_status.ok()) {
      log->Warn("job result not recorded", {{"error", finished_status}});
    } else {
      log->Info("job finished",
                {{"kind", job.kind},
                 {"ok", result.ok()},
                 {"error", result.ok() ? std::string() : std::string(CodeName(result.code()))}});
    }
  }
}

Status Impl::Execute(RunningJob& run) {
  if (run.cancel.cancelled()) return Cancelled();
  const nlohmann::json input = SP_TRY(ParseInput(run.job.input));
  if (run.job.kind == "fetch" || run.job.kind == "refresh") {
    std::vector<std::string> databases;
    if (auto it = input.find("databases"); it != input.end() && it->is_array()) {
      for (const auto& d : *it) {
        if (!d.is_string()) return DataLoss("the fetch job's databases have an unexpected format");
        databases.push_back(d.get<std::string>());
      }
    }
    return RunFetch(run, run.job.kind == "refresh", databases);
  }
  if (run.job.kind == "save") return RunSave(run, SP_TRY(SelectionFromJson(input)));
  return Status(Code::kInvalidArgument, "this build of schemaport does not know jobs of this kind");
}

// ---------------------------------------------------------------------------------------------
// Fetch and refresh

Status Impl::RunFetch(RunningJob& run, bool refresh, const std::vector<std::string>& requested) {
  const std::string& org = run.job.org_id;
  const std::string& conn = run.job.connection_id;
  auto connector = SP_TRY(OpenConnector(org, conn));
  run.Progress(0, 0, "Listing databases");
  std::vector<std::string> databases = requested;
  const bool listed_all = databases.empty();
  if (listed_all) databases = SP_TRY(connector->ListDatabases(&run.cancel));
  std::sort(databases.begin(), databases.end());
  databases.erase(std::unique(databases.begin(), databases.end()), databases.end());
  const std::int64_t total = static_cast<std::int64_t>(databases.size()) + (refresh ? 1 : 0);
  run.Progress(0, total,
               "Reading the catalogs of " + Plural(databases.size(), "database", "databases"));

  // One database at a time per thread, a few at once: one that cannot be read is recorded on
  // it and the others go on.
  std::vector<internal::FetchedDatabase> results(databases.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::int64_t> done{0};
  std::atomic<bool> case_sensitive{false};  // the warehouse's; every database reports the same
  const auto work = [&] {
    for (std::size_t i; (i = next++) < databases.size();) {
      if (run.cancel.cancelled()) return;
      results[i].name = databases[i];
      warehouse::FetchRequest request;
      request.depth = warehouse::FetchDepth::kTables;
      request.databases = {databases[i]};
      request.cancel = &run.cancel;
      auto catalog = connector->Fetch(request);
      if (catalog.ok()) {
        if (catalog->case_sensitive) case_sensitive = true;
        for (auto& d : catalog->databases) {
          if (d.name == databases[i]) results[i].schemas = std::move(d.schemas);
        }
      } else {
        results[i].error = Status(catalog.status().code(), catalog.status().message());
      }
      const std::int64_t n = ++done;
      run.Progress(n, total,
                   "Read the catalog of " + databases[i] + " (" + std::to_string(n) + " of " +
                       std::to_string(databases.size()) + ")");
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(std::max(1, options.parallel_databases), databases.size());
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (run.cancel.cancelled()) return Cancelled();
  if (!results.empty() && std::all_of(results.begin(), results.end(),
                                      [](const auto& r) { return r.error.has_value(); })) {
    return results.front().error->WithContext("no database could be read; " + results.front().name);
  }

  const std::vector<store::SavedTable> saved = SP_TRY(deps.store.ListSavedTables(org, conn));
  std::optional<CatalogDoc> previous;
  if (auto doc = LoadDoc(org, conn); doc.ok()) {
    previous = (*doc)->doc;
  } else if (doc.status().code() != Code::kNotFound && doc.status().code() != Code::kDataLoss) {
    return doc.status();
  }
  CatalogDoc doc = internal::BuildDoc(std::move(results), previous ? &*previous : nullptr, saved,
                                      deps.clock.Now(), listed_all);
  doc.case_sensitive = case_sensitive;

  if (refresh && !saved.empty()) {
    // Re-read the columns of the saved tables that are still there, so changed columns show.
    std::set<TableRef> reread;
    std::vector<std::string> reread_databases;
    TableRef ref;
    for (const auto& d : doc.databases) {
      if (d.error) continue;
      ref.database = d.name;
      bool any = false;
      for (const auto& s : d.schemas) {
        ref.schema = s.name;
        for (const auto& t : s.tables) {
          if (!t.saved) continue;
          ref.table = t.name;
          reread.insert(ref);
          any = true;
        }
      }
      if (any) reread_databases.push_back(d.name);
    }
    if (!reread.empty()) {
      run.Progress(
          static_cast<std::int64_t>(databases.size()), total,
          "Reading the columns of " + Plural(reread.size(), "saved table", "saved tables"));
      warehouse::FetchRequest request;
      request.depth = warehouse::FetchDepth::kColumns;
      request.databases = reread_databases;
      request.selection = std::move(reread);
      request.cancel = &run.cancel;
      const warehouse::Catalog columns = SP_TRY(connector->Fetch(request));
      if (run.cancel.cancelled()) return Cancelled();
      internal::MarkColumnChanges(doc, saved, columns);
    }
  }
  if (run.cancel.cancelled()) return Cancelled();
  run.Progress(total, total, "Keeping the fetched catalog");
  return StoreDoc(org, conn, doc);
}

// ---------------------------------------------------------------------------------------------
// Save Metadata

Status Impl::RunSave(RunningJob& run, const Selection& selection) {
  const std::string& org = run.job.org_id;
  const std::string& conn = run.job.connection_id;
  auto loaded = LoadDoc(org, conn);
  if (!loaded.ok() && loaded.status().code() == Code::kNotFound) {
    return FailedPrecondition("the fetched catalog expired; run Fetch Metadata, then save again");
  }
  const DocPtr loaded_doc = SP_TRY(std::move(loaded));
  const CatalogDoc& doc = loaded_doc->doc;
  const SelectionMatcher matcher =
      SP_TRY(SelectionMatcher::Make(selection, internal::MatchCaseOf(doc)));
  std::set<TableRef> selected;
  std::vector<std::string> databases;
  TableRef ref;
  for (const auto& d : doc.databases) {
    ref.database = d.name;
    bool any = false;
    for (const auto& s : d.schemas) {
      ref.schema = s.name;
      for (const auto& t : s.tables) {
        ref.table = t.name;
        if (matcher.Selected(ref)) {
          selected.insert(ref);
          any = true;
        }
      }
    }
    if (any) databases.push_back(d.name);
  }
  const auto total = static_cast<std::int64_t>(selected.size());
  const std::string reading =
      "Reading the columns of " + Plural(selected.size(), "table", "tables");
  run.Progress(0, total, reading);
  auto connector = SP_TRY(OpenConnector(org, conn));
  warehouse::Catalog catalog;
  if (!selected.empty()) {
    warehouse::FetchRequest request;
    request.depth = warehouse::FetchDepth::kColumns;
    request.databases = databases;
    request.selection = selected;
    request.cancel = &run.cancel;
    request.on_progress = [&](const warehouse::FetchProgress& p) {
      run.Progress(std::min<std::int64_t>(p.tables, total), total, reading);
    };
    catalog = SP_TRY(connector->Fetch(request));
  }
  if (run.cancel.cancelled()) return Cancelled();

  const std::vector<store::SavedTable> previous = SP_TRY(deps.store.ListSavedTables(org, conn));
  std::vector<store::SavedTable> tables = internal::ToSavedTables(catalog, previous);
  run.Progress(total, total, "Saving " + Plural(tables.size(), "table", "tables"));
  std::map<TableRef, std::int64_t> saved;
  for (const auto& t : tables)
    saved[internal::RefOf(t)] = static_cast<std::int64_t>(t.columns.size());
  if (run.cancel.cancelled()) return Cancelled();
  SP_TRY(deps.store.ReplaceSavedTables(org, conn, std::move(tables)));
  SP_TRY(RecordPreviousRelationships(org, conn, previous));

  // The document now records this save: the selection, what is saved, and no marks.
  auto latest = LoadDoc(org, conn);
  CatalogDoc next = latest.ok() ? (*latest)->doc : doc;
  next.selection = selection;
  next.saved_at = deps.clock.Now();
  next.removed.clear();
  next.column_marks.clear();
  for (auto& d : next.databases) {
    ref.database = d.name;
    for (auto& s : d.schemas) {
      ref.schema = s.name;
      for (auto& t : s.tables) {
        ref.table = t.name;
        auto it = saved.find(ref);
        t.saved = it != saved.end();
        t.column_count = t.saved ? it->second : 0;
        t.known = true;
        t.mark = Mark::kNone;
      }
    }
  }
  return StoreDoc(org, conn, next);
}

}  // namespace schemaport::service
