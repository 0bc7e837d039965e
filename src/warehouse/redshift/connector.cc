// The Redshift connector: connection test, database listing and catalog fetch.
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "warehouse/redshift/catalog_builder.h"
#include "warehouse/redshift/connection.h"
#include "warehouse/redshift/queries.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/redshift/settings.h"
#include "warehouse/redshift/test_steps.h"

namespace schemaport::warehouse::redshift {

namespace {

// An IN list of ids; integers this connector parsed, never user text.
std::string IdList(const std::vector<std::int64_t>& ids) {
  std::string out;
  out.reserve(ids.size() * 8);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

// Keeps the SQL text of one columns statement well under the Data API's 100 KB limit.
constexpr std::size_t kMaxIdsPerStatement = 8000;

class Progress {
 public:
  Progress(const FetchRequest& request, int databases) : request_(request) {
    state_.databases_total = databases;
  }
  void Phase(std::string phase) {
    std::lock_guard lock(mu_);
    state_.phase = std::move(phase);
    Report();
  }
  void Counts(std::int64_t tables, std::int64_t columns) {
    std::lock_guard lock(mu_);
    state_.tables += tables;
    state_.columns += columns;
  }
  void DatabaseDone(const std::string& name) {
    std::lock_guard lock(mu_);
    state_.databases_done++;
    state_.phase = "read " + name;
    Report();
  }

 private:
  void Report() {
    if (request_.on_progress) request_.on_progress(state_);
  }
  const FetchRequest& request_;
  std::mutex mu_;
  FetchProgress state_;
};

class RedshiftConnector final : public Connector {
 public:
  explicit RedshiftConnector(std::unique_ptr<Connection> connection)
      : connection_(std::move(connection)) {}

  Result<TestReport> Test() override { return RunConnectionTest(*connection_); }

  Result<std::vector<std::string>> ListDatabases(const CancelToken* cancel) override {
    if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled");
    auto dbs =
        connection_->data().ListAllDatabases(connection_->Target(connection_->settings().database));
    if (!dbs.ok()) return dbs.status().WithContext("listing databases");
    return dbs;
  }

  Result<Catalog> Fetch(const FetchRequest& request) override {
    // What the connected database tells about the whole warehouse: whether names compare with
    // their case, and which databases are datashare (consumer) databases, read from here.
    const std::string& home = connection_->settings().database;
    std::atomic<bool> failed{false};
    auto cancelled = [&] {
      return failed.load() || (request.cancel != nullptr && request.cancel->cancelled());
    };
    Session home_session(*connection_, home, cancelled);
    const Warehouse warehouse = SP_TRY(ReadWarehouse(home_session));
    const TableFilter filter = SP_TRY(
        TableFilter::Make(request.include, request.exclude,
                          warehouse.case_sensitive ? MatchCase::kExact : MatchCase::kIgnoreAscii));
    auto to_fetch = SP_TRY(DatabasesToFetch(request, filter, warehouse));
    const std::vector<std::string>& databases = to_fetch.first;    // connected to, in parallel
    const std::vector<std::string>& datashares = to_fetch.second;  // read from the home session
    Progress progress(request, static_cast<int>(databases.size() + datashares.size()));
    progress.Phase("reading " + std::to_string(databases.size() + datashares.size()) +
                   " databases");

    std::vector<Result<Database>> results(databases.size(),
                                          Result<Database>(Status(Code::kCancelled, "not run")));
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i = next++; i < databases.size(); i = next++) {
        if (cancelled()) break;
        results[i] = FetchDatabase(databases[i], request, filter, cancelled, progress);
        if (!results[i].ok())
          failed = true;
        else
          progress.DatabaseDone(databases[i]);
      }
    };
    const int threads = std::max(1, std::min<int>(connection_->deps().parallel_databases,
                                                  static_cast<int>(databases.size())));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    // Datashare databases cannot be connected to: their objects are read from the home session.
    for (const std::string& db : datashares) {
      if (cancelled()) break;
      auto it = warehouse.producers.find(db);
      results.push_back(FetchDatashareDatabase(home_session, db,
                                               it == warehouse.producers.end() ? "" : it->second,
                                               request, filter, progress));
      if (!results.back().ok()) break;
      progress.DatabaseDone(db);
    }

    if (request.cancel != nullptr && request.cancel->cancelled()) {
      return Status(Code::kCancelled, "the fetch was cancelled");
    }
    Catalog catalog;
    catalog.case_sensitive = warehouse.case_sensitive;
    for (std::size_t i = 0; i < results.size(); ++i) {
      // The first real error wins over the cancellations it caused in the other workers.
      if (!results[i].ok() && results[i].status().code() != Code::kCancelled)
        return results[i].status();
    }
    for (auto& r : results) {
      if (!r.ok()) return r.status();
      catalog.databases.push_back(std::move(r).value());
    }
    catalog.Normalize();
    return catalog;
  }

 private:
  struct Warehouse {
    bool case_sensitive = false;                   // enable_case_sensitive_identifier
    std::set<std::string> shared;                  // datashare (consumer) databases
    std::map<std::string, std::string> producers;  // consumer database -> "account/namespace"
  };

  Result<Warehouse> ReadWarehouse(Session& session) {
    Warehouse w;
    SP_TRY(session.Run("reading the settings of " + connection_->settings().database,
                       std::string(kCaseSensitivitySql), {}, [&](RowView row) -> Status {
                         if (row.size() != 1 || row[0].is_null) {
                           return Internal(
                               "unexpected result from SHOW enable_case_sensitive_identifier");
                         }
                         const std::string_view v = row[0].text;
                         w.case_sensitive = v == "on" || v == "true" || v == "t";
                         return Status::Ok();
                       }));
    SP_TRY(session.Run("reading the databases", std::string(kRedshiftDatabasesSql), {},
                       [&](RowView row) -> Status {
                         if (row.size() != 2 || row[0].is_null)
                           return Internal("unexpected result from svv_redshift_databases");
                         if (!row[1].is_null &&
                             (row[1].text == "shared" || row[1].text == "SHARED"))
                           w.shared.emplace(row[0].text);
                         return Status::Ok();
                       }));
    if (w.shared.empty()) return w;
    SP_TRY(session.Run("reading inbound datashares", std::string(kInboundDatasharesSql), {},
                       [&](RowView row) -> Status {
                         if (row.size() != 3 || row[0].is_null)
                           return Internal("unexpected result from svv_datashares");
                         std::string producer(row[1].is_null ? "" : row[1].text);
                         if (!row[2].is_null && !row[2].text.empty()) {
                           producer += (producer.empty() ? "" : "/") + std::string(row[2].text);
                         }
                         w.producers[std::string(row[0].text)] = std::move(producer);
                         return Status::Ok();
                       }));
    return w;
  }

  // Local databases (each fetched in its own session) and datashare databases.
  Result<std::pair<std::vector<std::string>, std::vector<std::string>>> DatabasesToFetch(
      const FetchRequest& request, const TableFilter& filter, const Warehouse& warehouse) {
    std::vector<std::string> databases;
    if (request.selection) {
      for (const auto& ref : *request.selection) {
        if (std::find(databases.begin(), databases.end(), ref.database) == databases.end()) {
          databases.push_back(ref.database);
        }
      }
    } else {
      if (!request.databases.empty()) {
        databases = request.databases;
      } else {
        databases = SP_TRY(ListDatabases(request.cancel));
        // Datashare databases are listed by the catalog, whether or not the Data API lists them.
        for (const std::string& d : warehouse.shared) {
          if (std::find(databases.begin(), databases.end(), d) == databases.end())
            databases.push_back(d);
        }
      }
      databases.erase(
          std::remove_if(databases.begin(), databases.end(),
                         [&](const std::string& d) { return filter.ExcludesDatabase(d); }),
          databases.end());
    }
    std::vector<std::string> local, shared;
    for (auto& d : databases) (warehouse.shared.count(d) ? shared : local).push_back(std::move(d));
    return std::make_pair(std::move(local), std::move(shared));
  }

  Result<Database> FetchDatashareDatabase(Session& session, const std::string& db,
                                          std::string producer, const FetchRequest& request,
                                          const TableFilter& filter, Progress& progress) {
    CatalogBuilder builder(db, request.depth, filter.empty() ? nullptr : &filter,
                           request.selection ? &*request.selection : nullptr);
    builder.SetDatashareProducer(std::move(producer));
    progress.Phase("reading datashare database " + db);
    SP_TRY(session.Run("reading the tables of datashare database " + db,
                       std::string(kRedshiftTablesSql), {{"database", db}},
                       [&](RowView row) { return builder.AddRedshiftTable(row); }));
    if (request.depth == FetchDepth::kColumns && builder.tables() > 0) {
      SP_TRY(session.Run("reading the columns of datashare database " + db,
                         std::string(kRedshiftColumnsSql), {{"database", db}},
                         [&](RowView row) { return builder.AddRedshiftColumn(row); }));
    }
    progress.Counts(builder.tables(), builder.columns());
    return builder.Finish();
  }

  Result<Database> FetchDatabase(const std::string& db, const FetchRequest& request,
                                 const TableFilter& filter, const std::function<bool()>& cancelled,
                                 Progress& progress) {
    const Dependencies& deps = connection_->deps();
    Session session(*connection_, db, cancelled);
    CatalogBuilder builder(db, request.depth, filter.empty() ? nullptr : &filter,
                           request.selection ? &*request.selection : nullptr);
    const bool columns = request.depth == FetchDepth::kColumns;
    auto run = [&](std::string what, std::string_view sql, std::vector<Session::Parameter> params,
                   Status (CatalogBuilder::*add)(RowView)) -> Status {
      progress.Phase(what);
      return session.Run(what, std::string(sql), std::move(params),
                         [&](RowView row) { return (builder.*add)(row); });
    };

    SP_TRY(run("reading the tables of " + db, kTablesSql, {}, &CatalogBuilder::AddTable));
    if (columns) {
      const auto chunks =
          builder.KeptTableIdChunks(deps.max_columns_per_statement, kMaxIdsPerStatement);
      const bool everything = filter.empty() && !request.selection && chunks.size() == 1;
      const int per_row = std::max(1, deps.columns_per_row);
      if (everything) {
        // No filter and a catalog that fits one result: no id list needed.
        SP_TRY(run("reading the columns of " + db, ColumnsSql(per_row, ""), {},
                   &CatalogBuilder::AddColumn));
      } else {
        for (std::size_t i = 0; i < chunks.size(); ++i) {
          std::string sql =
              ColumnsSql(per_row, "\n  AND a.attrelid IN (" + IdList(chunks[i]) + ")");
          SP_TRY(run("reading the columns of " + db + " (part " + std::to_string(i + 1) + " of " +
                         std::to_string(chunks.size()) + ")",
                     sql, {}, &CatalogBuilder::AddColumn));
        }
      }
      // Keys (primary, unique, foreign) of the kept tables, from the catalog only. The id list
      // appears twice in the statement: half as many ids keep it under the SQL size limit.
      const std::vector<std::int64_t> kept = builder.KeptTableIds();
      for (std::size_t i = 0; i < kept.size(); i += kMaxIdsPerStatement / 2) {
        const std::vector<std::int64_t> part(
            kept.begin() + static_cast<std::ptrdiff_t>(i),
            kept.begin() +
                static_cast<std::ptrdiff_t>(std::min(kept.size(), i + kMaxIdsPerStatement / 2)));
        const std::string ids = "(" + IdList(part) + ")";
        const std::string sql = std::string(kConstraintsSqlPart1) + ids +
                                std::string(kConstraintsSqlPart2) + ids +
                                std::string(kConstraintsSqlTail);
        SP_TRY(run("reading the keys of " + db, sql, {}, &CatalogBuilder::AddConstraint));
      }
    }
    // Also at tables depth: only these tell a late-binding or materialized view from a view,
    // and column grants from no SELECT at all.
    SP_TRY(run("reading late-binding views of " + db, kLateBindingColumnsSql, {},
               &CatalogBuilder::AddLateBindingColumn));
    SP_TRY(run("reading materialized views of " + db, kMaterializedViewsSql, {},
               &CatalogBuilder::AddMaterializedView));
    SP_TRY(run("reading column grants of " + db, kColumnGrantsSql, {},
               &CatalogBuilder::AddColumnGrant));
    SP_TRY(run("reading external schemas of " + db, kExternalSchemasSql, {},
               &CatalogBuilder::AddExternalSchema));
    if (columns) {
      SP_TRY(run("reading external tables of " + db, kExternalColumnsSql, {},
                 &CatalogBuilder::AddExternalColumn));
      // Distribution and sort keys: svv_redshift_columns is readable by every user; only a
      // permission error (a locked-down catalog) is tolerated, and logged.
      Status keys = run("reading distribution and sort keys of " + db, kTableKeysSql, {},
                        &CatalogBuilder::AddTableKey);
      if (!keys.ok() && keys.code() != Code::kPermissionDenied) return keys;
      if (!keys.ok() && deps.logger) {
        deps.logger->Info("distribution and sort keys not readable",
                          {{"database", db}, {"error", keys}});
      }
    } else {
      SP_TRY(run("reading external tables of " + db, kExternalTablesSql, {},
                 &CatalogBuilder::AddExternalTable));
    }
    progress.Counts(builder.tables(), builder.columns());
    return builder.Finish();
  }

  std::unique_ptr<Connection> connection_;
};

}  // namespace

ConnectorType MakeConnectorType(Dependencies deps) {
  if (!deps.rate_budgets && deps.clock != nullptr)
    deps.rate_budgets = std::make_shared<aws::RateBudgets>(*deps.clock);
  ConnectorType type;
  type.name = "redshift";
  type.label = "Amazon Redshift";
  type.fields = FormFields();
  type.validate = [](const ConnectionSettings& settings) {
    return ParseSettings(settings).status();
  };
  type.create = [deps = std::move(deps)](
                    const ConnectionSettings& raw) -> Result<std::unique_ptr<Connector>> {
    Settings settings = SP_TRY(ParseSettings(raw));
    auto connection = SP_TRY(Connection::Open(settings, deps));
    return std::unique_ptr<Connector>(std::make_unique<RedshiftConnector>(std::move(connection)));
  };
  return type;
}

}  // namespace schemaport::warehouse::redshift
