#include "warehouse/redshift/connection.h"

namespace schemaport::warehouse::redshift {

Result<std::unique_ptr<Connection>> Connection::Open(const Settings& settings,
                                                     const Dependencies& deps) {
  if (!deps.http || deps.clock == nullptr || deps.random == nullptr) {
    return Internal("redshift connector is missing its dependencies");
  }
  std::unique_ptr<Connection> c(new Connection(settings, deps));
  aws::Credentials credentials;
  credentials.access_key_id = settings.access_key_id;
  credentials.secret_access_key = settings.secret_access_key;
  credentials.session_token = settings.session_token;
  std::shared_ptr<aws::CredentialsProvider> provider =
      std::make_shared<aws::StaticCredentialsProvider>(std::move(credentials));
  aws::ClientConfig config;
  config.region = settings.region;
  config.endpoints = deps.endpoints;
  config.retry = deps.retry;
  if (!settings.role_arn.empty()) {
    // AssumeRole mode: the pasted key only assumes the role; every other call runs with the
    // role's temporary credentials (refreshed before they expire).
    std::shared_ptr<aws::StsClient> base_sts =
        SP_TRY(aws::StsClient::Create(config, deps.http, provider, *deps.clock, *deps.random));
    aws::AssumeRoleParams params;
    params.role_arn = settings.role_arn;
    params.external_id = settings.external_id;
    provider = std::make_shared<aws::AssumeRoleCredentialsProvider>(std::move(base_sts), params,
                                                                    *deps.clock);
  }
  aws::ClientConfig data_config = config;
  data_config.rates_per_second = aws::DefaultDataApiRates();
  c->sts_ = SP_TRY(aws::StsClient::Create(config, deps.http, provider, *deps.clock, *deps.random));
  if (deps.rate_budgets) {  // the account's budget, shared with every other connection using it
    data_config.shared_rate_limiter = [budgets = deps.rate_budgets, sts = c->sts_.get(),
                                       key = settings.access_key_id, region = settings.region] {
      return budgets->ForAccessKey(key, region, [sts]() -> Result<std::string> {
        auto identity = SP_TRY(sts->GetCallerIdentity());
        return identity.account;
      });
    };
  }
  c->data_ = SP_TRY(
      aws::RedshiftDataClient::Create(data_config, deps.http, provider, *deps.clock, *deps.random));
  c->serverless_ = SP_TRY(aws::RedshiftServerlessClient::Create(config, deps.http, provider,
                                                                *deps.clock, *deps.random));
  c->redshift_ =
      SP_TRY(aws::RedshiftClient::Create(config, deps.http, provider, *deps.clock, *deps.random));
  return c;
}

aws::DataApiTarget Connection::Target(const std::string& database) const {
  aws::DataApiTarget t;
  t.database = database;
  t.workgroup_name = settings_.workgroup;
  t.cluster_identifier = settings_.cluster_identifier;
  if (settings_.mode == AuthMode::kClusterDbUser) t.db_user = settings_.database_user;
  if (settings_.mode == AuthMode::kSecret) t.secret_arn = settings_.secret_arn;
  return t;
}

Session::Session(Connection& connection, std::string database, std::function<bool()> cancelled)
    : connection_(connection), database_(std::move(database)), cancelled_(std::move(cancelled)) {}

namespace {

// One Data API field as a Cell; numbers are rendered into `scratch`.
Cell ToCell(const aws::FieldView& v, std::string& scratch) {
  return std::visit(
      [&](const auto& x) -> Cell {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return Cell{"", true};
        } else if constexpr (std::is_same_v<T, bool>) {
          return Cell{x ? "true" : "false", false};
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          scratch = std::to_string(x);
          return Cell{scratch, false};
        } else if constexpr (std::is_same_v<T, double>) {
          scratch = fmt::format("{}", x);
          return Cell{scratch, false};
        } else {
          return Cell{x, false};
        }
      },
      v);
}

bool SessionGone(const Status& s) {
  // The Data API rejects a statement for a session that has ended (keep-alive expired) or is
  // busy with a ValidationException (ResourceNotFoundException in some Regions): decided by the
  // AWS error code the adapter carries, never by the message text. The caller retries once in a
  // new session, so a statement that is invalid for another reason fails the same way again.
  const std::string code = aws::AwsErrorCode(s);
  return code == "ValidationException" || code == "ResourceNotFoundException";
}

}  // namespace

Status Session::Run(std::string_view what, std::string sql, std::vector<Parameter> parameters,
                    const RowCallback& on_row) {
  if (cancelled_ && cancelled_()) return Status(Code::kCancelled, "fetch cancelled");
  const Dependencies& deps = connection_.deps();
  aws::ExecuteStatementRequest request;
  request.sql = std::move(sql);
  for (auto& p : parameters) request.parameters.push_back({std::move(p.name), std::move(p.value)});
  request.statement_name = "schemaport-catalog";
  request.result_format = "JSON";
  aws::RunOptions options;
  options.deadline = deps.statement_timeout;
  options.cancelled = cancelled_;
  options.full_description = false;  // one call less per statement
  std::vector<Cell> cells;
  std::vector<std::string> scratch;
  auto on_fields = [&](std::span<const aws::FieldView> record) -> Status {
    cells.resize(record.size());
    scratch.resize(record.size());
    for (std::size_t i = 0; i < record.size(); ++i) cells[i] = ToCell(record[i], scratch[i]);
    return on_row(cells);
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (session_id_.empty()) {
      request.target = connection_.Target(database_);
      request.session_id.clear();
      request.session_keep_alive_seconds = deps.session_keep_alive_seconds;
    } else {
      request.target = aws::DataApiTarget{};
      request.session_id = session_id_;
      request.session_keep_alive_seconds.reset();
    }
    request.client_token.clear();
    auto result = connection_.data().RunStatementRows(request, options, on_fields);
    ++statements_;
    if (result.ok()) {
      if (session_id_.empty()) session_id_ = result->session_id;
      return Status::Ok();
    }
    if (!session_id_.empty() && SessionGone(result.status()) && attempt == 0) {
      session_id_.clear();  // the session ended between statements: open a new one
      continue;
    }
    return result.status().WithContext(what);
  }
  return Internal(std::string(what) + ": could not open a Data API session");
}

}  // namespace schemaport::warehouse::redshift
