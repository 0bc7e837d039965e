// Connection: the AWS clients of one Redshift connector, and Session: the Data API session a
// fetch uses in one database. Internal to src/warehouse/redshift.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "warehouse/redshift/catalog_builder.h"
#include "warehouse/redshift/redshift.h"
#include "warehouse/redshift/settings.h"

namespace schemaport::warehouse::redshift {

// The clients, made once per connector from its settings. Thread safety: thread-safe.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const Settings& settings,
                                                  const Dependencies& deps);

  const Settings& settings() const { return settings_; }
  const Dependencies& deps() const { return deps_; }
  aws::StsClient& sts() { return *sts_; }
  aws::RedshiftDataClient& data() { return *data_; }
  aws::RedshiftServerlessClient& serverless() { return *serverless_; }
  aws::RedshiftClient& redshift() { return *redshift_; }
  // The Data API target for `database` with this connection's auth mode.
  aws::DataApiTarget Target(const std::string& database) const;

 private:
  Connection(Settings settings, Dependencies deps)
      : settings_(std::move(settings)), deps_(std::move(deps)) {}
  Settings settings_;
  Dependencies deps_;
  std::unique_ptr<aws::StsClient> sts_;
  std::unique_ptr<aws::RedshiftDataClient> data_;
  std::unique_ptr<aws::RedshiftServerlessClient> serverless_;
  std::unique_ptr<aws::RedshiftClient> redshift_;
};

// Runs statements one after another in one Data API session in one database, so the
// warehouse authenticates once; every statement is read-only. The first statement opens the
// session (SessionKeepAliveSeconds); if the session has ended, the next statement opens a new
// one. Rows are streamed to the callback page by page.
// Thread safety: one thread at a time.
class Session {
 public:
  // `cancelled` is polled between pages and statements.
  Session(Connection& connection, std::string database, std::function<bool()> cancelled);

  using RowCallback = std::function<Status(RowView)>;
  struct Parameter {
    std::string name, value;
  };
  // Runs `sql` with bound parameters; every result row goes to `on_row`. `what` names the
  // statement in errors ("reading the columns of dev").
  Status Run(std::string_view what, std::string sql, std::vector<Parameter> parameters,
             const RowCallback& on_row);

  int statements() const { return statements_; }

 private:
  Connection& connection_;
  std::string database_;
  std::function<bool()> cancelled_;
  std::string session_id_;
  int statements_ = 0;
};

}  // namespace schemaport::warehouse::redshift
