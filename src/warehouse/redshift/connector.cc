// The Redshift connector: connection test, database listing and catalog fetch.
#include <algorithm>
#include <mutex>
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
    auto dbs = connection_->data().ListAllDatabases(connection_->Target(connection_->settings().database));
    if (!dbs.ok()) return dbs.status().WithContext("listing databases");
    return dbs;
  }

  Result<Catalog> Fetch(const FetchRequest& request) override {
    const TableFilter filter = SP_TRY(TableFilter::Make(request.include, request.exclude));
    std::vector<std::string> databases = SP_TRY(DatabasesToFetch(request, filter));
    Progress progress(request, static_cast<int>(databases.size()));
    progress.Phase("reading " + std::to_string(databases.size()) + " databases");

    std::atomic<bool> failed{false};
    auto cancelled = [&] {
      return failed.load() || (request.cancel != nullptr && request.cancel->cancelled());
    };
    std::vector<Result<Database>> results(databases.size(), Result<Database>(Status(Code::kCancelled, "not run")));
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i = next++; i < databases.size(); i = next++) {
        if (cancelled()) break;
        results[i] = FetchDatabase(databases[i], request, filter, cancelled, progress);
        if (!results[i].ok()) failed = true;
        else progress.DatabaseDone(databases[i]);
      }
    };
    const int threads =
        std::max(1, std::min<int>(connection_->deps().parallel_databases, static_cast<int>(databases.size())));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();

    if (request.cancel != nullptr && request.cancel->cancelled()) {
      return Status(Code::kCancelled, "the fetch was cancelled");
    }
    Catalog catalog;
    for (std::size_t i = 0; i < results.size(); ++i) {
      // The first real error wins over the cancellations it caused in the other workers.
      if (!results[i].ok() && results[i].status().code() != Code::kCancelled) return results[i].status();
    }
    for (auto& r : results) {
      if (!r.ok()) return r.status();
      catalog.databases.push_back(std::move(r).value());
    }
    catalog.Normalize();
    return catalog;
  }

 private:
  Result<std::vector<std::string>> DatabasesToFetch(const FetchRequest& request, const TableFilter& filter) {
    std::vector<std::string> databases;
    if (request.selection) {
      for (const auto& ref : *request.selection) {
        if (std::find(databases.begin(), databases.end(), ref.database) == databases.end()) {
          databases.push_back(ref.database);
        }
      }
      return databases;
    }
    if (!request.databases.empty()) {
      databases = request.databases;
    } else {
      databases = SP_TRY(ListDatabases(request.cancel));
    }
    databases.erase(std::remove_if(databases.begin(), databases.end(),
                                   [&](const std::string& d) { return filter.ExcludesDatabase(d); }),
                    databases.end());
    return databases;
  }

  Result<Database> FetchDatabase(const std::string& db, const FetchRequest& request, const TableFilter& filter,
                                 const std::function<bool()>& cancelled, Progress& progress) {
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
      const auto chunks = builder.KeptTableIdChunks(deps.max_columns_per_statement, kMaxIdsPerStatement);
      const bool everything = filter.empty() && !request.selection && chunks.size() == 1;
      if (everything) {
        // No filter and a catalog that fits one result: no id list needed.
        SP_TRY(run("reading the columns of " + db,
                   std::string(kColumnsSqlHead) + std::string(kColumnsSqlTail), {}, &CatalogBuilder::AddColumn));
      } else {
        for (std::size_t i = 0; i < chunks.size(); ++i) {
          std::string sql = std::string(kColumnsSqlHead) + "\n  AND a.attrelid IN (" + IdList(chunks[i]) + ")" +
                            std::string(kColumnsSqlTail);
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
    // Also at tables depth: only this function tells a late-binding view from a view.
    SP_TRY(run("reading late-binding views of " + db, kLateBindingColumnsSql, {},
               &CatalogBuilder::AddLateBindingColumn));
    SP_TRY(run("reading external schemas of " + db, kExternalSchemasSql, {}, &CatalogBuilder::AddExternalSchema));
    if (columns) {
      SP_TRY(run("reading external tables of " + db, kExternalColumnsSql, {}, &CatalogBuilder::AddExternalColumn));
    } else {
      SP_TRY(run("reading external tables of " + db, kExternalTablesSql, {}, &CatalogBuilder::AddExternalTable));
    }
    SP_TRY(run("reading datashare tables of " + db, kRedshiftTablesSql, {}, &CatalogBuilder::AddRedshiftTable));
    if (columns) {
      for (const std::string& schema : builder.DatashareSchemas()) {
        progress.Phase("reading datashare columns of " + db);
        SP_TRY(session
                   .Run("reading datashare columns of " + db, std::string(kRedshiftColumnsSql),
                        {{"schema", schema}},
                        [&](RowView row) { return builder.AddRedshiftColumn(schema, row); })
                   );
      }
      // Distribution and sort keys: only where the user may read svv_table_info.
      Status info = run("reading table properties of " + db, kTableInfoSql, {}, &CatalogBuilder::AddTableInfo);
      if (!info.ok() && info.code() == Code::kCancelled) return info;
      if (!info.ok() && deps.logger) {
        deps.logger->Info("distribution and sort keys not readable", {{"database", db}, {"error", info}});
      }
    }
    progress.Counts(builder.tables(), builder.columns());
    return builder.Finish();
  }

  std::unique_ptr<Connection> connection_;
};

}  // namespace

ConnectorType MakeConnectorType(Dependencies deps) {
  ConnectorType type;
  type.name = "redshift";
  type.label = "Amazon Redshift";
  type.fields = FormFields();
  type.validate = [](const ConnectionSettings& settings) { return ParseSettings(settings).status(); };
  type.create = [deps = std::move(deps)](const ConnectionSettings& raw) -> Result<std::unique_ptr<Connector>> {
    Settings settings = SP_TRY(ParseSettings(raw));
    auto connection = SP_TRY(Connection::Open(settings, deps));
    return std::unique_ptr<Connector>(std::make_unique<RedshiftConnector>(std::move(connection)));
  };
  return type;
}

}  // namespace schemaport::warehouse::redshift
