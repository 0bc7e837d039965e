// redshift-data (awsJson1_1, target prefix RedshiftData).
#include <limits>
#include <regex>

#include "aws/internal.h"
#include "services.h"

namespace schemaport::emulator {
namespace {

using nlohmann::json;

ApiError NotFound(const std::string& message, const std::string& id) {
  return ApiError{400, "ResourceNotFoundException", message, {{"ResourceId", id}}};
}

ApiError AccessDenied(const Identity& caller, std::string_view action, std::string_view resource) {
  return ApiError{400, "AccessDeniedException", Iam::DenyMessage(caller, action, resource)};
}

// Reads an optional string member; a non-string is a validation error.
std::variant<std::string, ApiError> Str(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Validation(
        fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: "
                    "Member must be a string",
                    key));
  }
  return it->get<std::string>();
}

std::variant<std::optional<std::int64_t>, ApiError> Int(const json& in, const char* key,
                                                        std::int64_t min, std::int64_t max) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return std::optional<std::int64_t>();
  if (!it->is_number_integer()) {
    return Validation(
        fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: "
                    "Member must be an integer",
                    key));
  }
  std::int64_t v = it->get<std::int64_t>();
  if (v < min) {
    return Validation(
        fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                    "constraint: Member must have value greater than or equal to {}",
                    v, key, min));
  }
  if (v > max) {
    return Validation(
        fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                    "constraint: Member must have value less than or equal to {}",
                    v, key, max));
  }
  return std::optional<std::int64_t>(v);
}

#define SP_GET(var, expr)                                   \
  auto var##_r = (expr);                                    \
  if (auto* e = std::get_if<ApiError>(&var##_r)) return *e; \
  auto var = std::move(std::get<0>(var##_r))

std::string EncodeToken(std::size_t offset) {
  std::string raw = fmt::format("emu1:{}", offset);
  return Base64Encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
}

std::variant<std::size_t, ApiError> DecodeToken(const std::string& token) {
  if (token.empty()) return std::size_t{0};
  auto bytes = Base64Decode(token);
  if (bytes.ok()) {
    std::string raw(bytes->begin(), bytes->end());
    if (raw.rfind("emu1:", 0) == 0) {
      if (const auto n = ParseUint64(std::string_view(raw).substr(5));
          n && *n <= std::numeric_limits<std::size_t>::max()) {
        return static_cast<std::size_t>(*n);
      }
    }
  }
  return Validation("Invalid NextToken provided.");
}

const WarehouseConfig* FindWarehouse(const std::vector<WarehouseConfig>& list,
                                     const EmulatorConfig& config, const std::string& name,
                                     bool serverless) {
  for (const WarehouseConfig& w : list) {
    if (w.name == name) return &w;
    if (serverless && WorkgroupArn(config, w) == name) return &w;
  }
  return nullptr;
}

struct Resolved {
  Target target;
  std::string resource_arn;  // the workgroup or cluster ARN
  const WarehouseConfig* warehouse = nullptr;
};

// Resolves the warehouse, database and database user of a Data API call and checks the caller's
// permissions the way the Data API does: redshift-data:<op> on the workgroup/cluster, then the
// permission of the credentials mode.
std::variant<Resolved, ApiError> ResolveTarget(ServiceContext& ctx, const Identity& caller,
                                               const std::string& op, const json& in) {
  SP_GET(workgroup, Str(in, "WorkgroupName"));
  SP_GET(cluster, Str(in, "ClusterIdentifier"));
  SP_GET(secret_arn, Str(in, "SecretArn"));
  SP_GET(db_user, Str(in, "DbUser"));
  SP_GET(database, Str(in, "Database"));
  SP_GET(connected, Str(in, "ConnectedDatabase"));
  const EmulatorConfig& config = ctx.config;
  if (!workgroup.empty() && !cluster.empty()) {
    return Validation("Either ClusterIdentifier or WorkgroupName must be specified, but not both.");
  }
  if (workgroup.empty() && cluster.empty()) {
    return Validation("Either ClusterIdentifier or WorkgroupName must be specified.");
  }
  if (!workgroup.empty() && !db_user.empty()) {
    return Validation(
        "DbUser is not supported with WorkgroupName. Use SecretArn or temporary credentials "
        "with your IAM identity.");
  }
  if (!secret_arn.empty() && !db_user.empty()) {
    return Validation("SecretArn and DbUser cannot both be specified.");
  }
  Resolved out;
  bool serverless = !workgroup.empty();
  const std::string& name = serverless ? workgroup : cluster;
  out.warehouse =
      FindWarehouse(serverless ? config.workgroups : config.clusters, config, name, serverless);
  if (!out.warehouse) {
    if (serverless) return NotFound(fmt::format("Workgroup {} not found.", name), name);
    return NotFound(fmt::format("Cluster {} not found.", name), name);
  }
  out.resource_arn =
      serverless ? WorkgroupArn(config, *out.warehouse) : ClusterArn(config, *out.warehouse);
  std::string action = "redshift-data:" + op;
  if (!Iam::IsAllowed(caller, action)) return AccessDenied(caller, action, out.resource_arn);

  Target& t = out.target;
  if (serverless) {
    t.workgroup = out.warehouse->name;
  } else {
    t.cluster = out.warehouse->name;
  }
  if (!secret_arn.empty()) {
    if (!Iam::IsAllowed(caller, "secretsmanager:GetSecretValue")) {
      return AccessDenied(caller, "secretsmanager:GetSecretValue", secret_arn);
    }
    auto secret = ctx.secrets.Find(secret_arn);
    if (!secret) return NotFound("Secrets Manager can't find the specified secret.", secret_arn);
    const std::string* current = nullptr;
    for (const auto& v : secret->versions) {
      if (std::find(v.stages.begin(), v.stages.end(), "AWSCURRENT") != v.stages.end())
        current = &v.value;
    }
    json value = current ? json::parse(*current, nullptr, false) : json();
    std::string user = value.is_object() && value.value("username", json()).is_string()
                           ? value["username"].get<std::string>()
                           : "";
    std::string password = value.is_object() && value.value("password", json()).is_string()
                               ? value["password"].get<std::string>()
                               : "";
    if (user.empty() || password.empty())
      return Validation("username and password in secret cannot be empty");
    if (database.empty() && value.value("dbname", json()).is_string())
      database = value["dbname"].get<std::string>();
    t.db_user = user;
    t.db_password = Secret(password);
    t.secret_arn = secret->arn;
  } else if (serverless) {
    if (!Iam::IsAllowed(caller, "redshift-serverless:GetCredentials")) {
      return AccessDenied(caller, "redshift-serverless:GetCredentials", out.resource_arn);
    }
    t.db_user = caller.DbUser();
    t.create_user = true;
  } else if (!db_user.empty()) {
    std::string resource = fmt::format("arn:aws:redshift:{}:{}:dbuser:{}/{}", config.region,
                                       config.account_id, out.warehouse->name, db_user);
    if (!Iam::IsAllowed(caller, "redshift:GetClusterCredentials")) {
      return AccessDenied(caller, "redshift:GetClusterCredentials", resource);
    }
    t.db_user = db_user;
    t.db_user_param = db_user;
  } else {
    std::string resource =
        fmt::format("arn:aws:redshift:{}:{}:dbname:{}/{}", config.region, config.account_id,
                    out.warehouse->name, database.empty() ? "*" : database);
    if (!Iam::IsAllowed(caller, "redshift:GetClusterCredentialsWithIAM")) {
      return AccessDenied(caller, "redshift:GetClusterCredentialsWithIAM", resource);
    }
    t.db_user = caller.DbUser();
    t.create_user = true;
  }
  if (database.empty()) return Validation("Database must be specified.");
  // Metadata calls may name the database to connect to separately; PostgreSQL cannot query
  // across databases, so the listed database is also the one connected to.
  (void)connected;
  t.database = database;
  auto db = out.warehouse->databases.find(database);
  t.pg_database = db == out.warehouse->databases.end() ? "" : db->second;
  return out;
}

json StatementTarget(const Statement& st) {
  json out = json::object();
  if (!st.target.cluster.empty()) out["ClusterIdentifier"] = st.target.cluster;
  if (!st.target.workgroup.empty()) out["WorkgroupName"] = st.target.workgroup;
  if (!st.target.secret_arn.empty()) out["SecretArn"] = st.target.secret_arn;
  if (!st.target.db_user_param.empty()) out["DbUser"] = st.target.db_user_param;
  out["Database"] = st.target.database;
  return out;
}

json ParametersJson(const std::vector<std::pair<std::string, std::string>>& params) {
  json arr = json::array();
  for (const auto& [k, v] : params) arr.push_back({{"name", k}, {"value", v}});
  return arr;
}

std::variant<std::vector<std::pair<std::string, std::string>>, ApiError> ReadParameters(
    const json& in) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = in.find("Parameters");
  if (it == in.end() || it->is_null()) return out;
  static const std::regex kName("[0-9a-zA-Z_]+");
  if (!it->is_array() || it->empty()) {
    return Validation(
        "1 validation error detected: Value at 'parameters' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1");
  }
  for (const json& p : *it) {
    if (!p.is_object() || !p.value("name", json()).is_string() ||
        !p.value("value", json()).is_string()) {
      return Validation("Parameters must be a list of {name, value} with string members.");
    }
    std::string name = p["name"].get<std::string>();
    std::string value = p["value"].get<std::string>();
    if (!std::regex_match(name, kName)) {
      return Validation(
          fmt::format("1 validation error detected: Value '{}' at 'parameters.member.name' failed "
                      "to satisfy constraint: Member must satisfy regular expression pattern: "
                      "[0-9a-zA-Z_]+",
                      name));
    }
    if (value.empty()) {
      return Validation(
          "1 validation error detected: Value '' at 'parameters.member.value' failed to satisfy "
          "constraint: Member must have length greater than or equal to 1");
    }
    out.emplace_back(name, value);
  }
  return out;
}

JsonReply Execute(ServiceContext& ctx, const Identity& caller, const std::string& op,
                  const json& in) {
  bool batch = op == "BatchExecuteStatement";
  std::vector<std::string> sqls;
  if (batch) {
    auto it = in.find("Sqls");
    if (it == in.end() || !it->is_array() || it->empty() || it->size() > 40) {
      return Validation(
          "1 validation error detected: Value at 'sqls' failed to satisfy constraint: Member must "
          "have length between 1 and 40");
    }
    for (const json& s : *it) {
      if (!s.is_string()) return Validation("Sqls must be a list of strings.");
      sqls.push_back(s.get<std::string>());
    }
  } else {
    auto it = in.find("Sql");
    if (it == in.end() || !it->is_string()) {
      return Validation(
          "1 validation error detected: Value null at 'sql' failed to satisfy constraint: Member "
          "must not be null");
    }
    sqls.push_back(it->get<std::string>());
  }
  for (const std::string& sql : sqls) {
    if (sql.size() > static_cast<std::size_t>(ctx.config.limits.max_sql_bytes)) {
      return Validation(fmt::format("Cannot process query string larger than {}kB.",
                                    ctx.config.limits.max_sql_bytes / 1024));
    }
    if (sql.find_first_not_of(" \t\r\n") == std::string::npos)
      return Validation("SQL statement cannot be empty.");
  }
  SP_GET(params, ReadParameters(in));
  SP_GET(session_id, Str(in, "SessionId"));
  SP_GET(statement_name, Str(in, "StatementName"));
  SP_GET(client_token, Str(in, "ClientToken"));
  SP_GET(result_format, Str(in, "ResultFormat"));
  SP_GET(mode, Str(in, "ExecutionMode"));
  SP_GET(keep_alive, Int(in, "SessionKeepAliveSeconds", 0, 86400));
  SP_GET(wait, Int(in, "WaitTimeSeconds", 1, 30));
  if (statement_name.size() > 2048)
    return Validation("StatementName must be at most 2048 characters.");
  if (client_token.size() > 64)
    return Validation("ClientToken must be between 1 and 64 characters.");
  if (result_format.empty()) result_format = "JSON";
  if (result_format != "JSON" && result_format != "CSV") {
    return Validation(
        fmt::format("1 validation error detected: Value '{}' at 'resultFormat' failed to satisfy "
                    "constraint: Member must satisfy enum value set: [JSON, CSV]",
                    result_format));
  }
  if (!mode.empty() && mode != "TRANSACTION" && mode != "AUTO_COMMIT") {
    return Validation(
        fmt::format("1 validation error detected: Value '{}' at 'executionMode' failed to satisfy "
                    "constraint: Member must satisfy enum value set: [TRANSACTION, AUTO_COMMIT]",
                    mode));
  }
  for (const std::string& sql : sqls) {
    auto bound = BindParameters(RewriteRedshiftSql(sql), params);
    if (auto* e = std::get_if<ApiError>(&bound)) return *e;
  }

  SubmitRequest req;
  req.owner_arn = caller.PrincipalArn();
  req.session_arn = caller.arn;
  req.sqls = sqls;
  req.is_batch = batch;
  req.transaction = mode != "AUTO_COMMIT";
  req.parameters = params;
  req.statement_name = statement_name;
  req.client_token = client_token;
  req.result_format = result_format;
  if (keep_alive) req.session_keep_alive_seconds = static_cast<int>(*keep_alive);
  if (!session_id.empty()) {
    for (const char* k : {"ClusterIdentifier", "WorkgroupName", "SecretArn", "DbUser"}) {
      if (in.contains(k)) {
        return Validation(fmt::format("{} cannot be specified together with SessionId.", k));
      }
    }
    std::string action = "redshift-data:" + op;
    if (!Iam::IsAllowed(caller, action)) return AccessDenied(caller, action, "*");
    req.session_id = session_id;
  } else {
    SP_GET(resolved, ResolveTarget(ctx, caller, op, in));
    req.target = resolved.target;
  }
  auto submitted = ctx.engine.Submit(std::move(req));
  if (auto* e = std::get_if<ApiError>(&submitted)) return *e;
  Statement st = std::get<Statement>(submitted);
  if (wait) {
    auto waited = ctx.engine.Find(st.id, caller.PrincipalArn(), std::chrono::seconds(*wait));
    if (waited) st = *waited;
  }
  json out = StatementTarget(st);
  out["Id"] = st.id;
  out["CreatedAt"] = EpochSeconds(st.created_at);
  if (!st.session_id.empty()) out["SessionId"] = st.session_id;
  if (wait) {
    out["Status"] = std::string(StatusName(st.status));
    if (st.redshift_pid) out["RedshiftPid"] = st.redshift_pid;
    bool has = false;
    for (const SubStatement& s : st.subs) has = has || s.has_result_set;
    out["HasResultSet"] = has;
  }
  return out;
}

json SubJson(const SubStatement& s) {
  json j = {{"Id", s.id},
            {"Status", std::string(StatusName(s.status))},
            {"CreatedAt", EpochSeconds(s.created_at)},
            {"UpdatedAt", EpochSeconds(s.updated_at)},
            {"QueryString", s.sql},
            {"Duration", s.duration_ns},
            {"ResultRows", s.result_rows},
            {"ResultSize", s.result_size},
            {"HasResultSet", s.has_result_set}};
  if (s.query_id) j["RedshiftQueryId"] = s.query_id;
  if (!s.error.empty()) j["Error"] = s.error;
  return j;
}

JsonReply Describe(ServiceContext& ctx, const Identity& caller, const json& in) {
  SP_GET(id, Str(in, "Id"));
  SP_GET(wait, Int(in, "WaitTimeSeconds", 1, 30));
  if (id.empty())
    return Validation(
        "1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must "
        "not be null");
  if (!Iam::IsAllowed(caller, "redshift-data:DescribeStatement")) {
    return AccessDenied(caller, "redshift-data:DescribeStatement", "*");
  }
  auto st = ctx.engine.Find(id, caller.PrincipalArn(), std::chrono::seconds(wait.value_or(0)));
  if (!st) return NotFound("Query does not exist.", id);
  json out = StatementTarget(*st);
  const SubStatement* only = nullptr;
  if (id.find(':') != std::string::npos) {
    for (const SubStatement& s : st->subs) {
      if (s.id == id) only = &s;
    }
    if (!only) return NotFound("Query does not exist.", id);
  } else if (!st->is_batch) {
    only = &st->subs.front();
  }
  out["Id"] = id;
  out["Status"] = std::string(StatusName(only ? only->status : st->status));
  out["CreatedAt"] = EpochSeconds(st->created_at);
  out["UpdatedAt"] = EpochSeconds(only ? only->updated_at : st->updated_at);
  out["Duration"] = only ? only->duration_ns : st->duration_ns;
  if (st->redshift_pid) out["RedshiftPid"] = st->redshift_pid;
  out["ResultFormat"] = st->result_format;
  if (!st->session_id.empty()) out["SessionId"] = st->session_id;
  if (!st->parameters.empty()) out["QueryParameters"] = ParametersJson(st->parameters);
  if (only) {
    out["QueryString"] = only->sql;
    out["HasResultSet"] = only->has_result_set;
    out["ResultRows"] = only->result_rows;
    out["ResultSize"] = only->result_size;
    if (only->query_id) out["RedshiftQueryId"] = only->query_id;
    std::string error = only->error.empty() ? st->error : only->error;
    if (!error.empty()) out["Error"] = error;
  } else {
    bool has = false;
    std::int64_t rows = 0, size = 0;
    json subs = json::array();
    for (const SubStatement& s : st->subs) {
      has = has || s.has_result_set;
      rows += std::max<std::int64_t>(s.result_rows, 0);
      size += s.result_size;
      subs.push_back(SubJson(s));
    }
    out["HasResultSet"] = has;
    out["ResultRows"] = rows;
    out["ResultSize"] = size;
    out["SubStatements"] = subs;
    out["ExecutionMode"] = st->transaction ? "TRANSACTION" : "AUTO_COMMIT";
    if (!st->error.empty()) out["Error"] = st->error;
  }
  return out;
}

JsonReply GetResult(ServiceContext& ctx, const Identity& caller, const std::string& op,
                    const json& in) {
  bool v2 = op == "GetStatementResultV2";
  SP_GET(id, Str(in, "Id"));
  SP_GET(token, Str(in, "NextToken"));
  SP_GET(wait, Int(in, "WaitTimeSeconds", 1, 30));
  if (id.empty())
    return Validation(
        "1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must "
        "not be null");
  std::string action = "redshift-data:" + op;
  if (!Iam::IsAllowed(caller, action)) return AccessDenied(caller, action, "*");
  SP_GET(offset, DecodeToken(token));
  auto st = ctx.engine.Find(id, caller.PrincipalArn(), std::chrono::seconds(wait.value_or(0)));
  if (!st) return NotFound("Query does not exist.", id);
  const SubStatement* sub = nullptr;
  for (const SubStatement& s : st->subs) {
    if (s.id == id) sub = &s;
  }
  if (!sub) {
    return Validation(
        "Query does not have result. Please check query status with DescribeStatement. For a "
        "batch, use the Id of a sub-statement (<Id>:<n>).");
  }
  if (!IsTerminal(sub->status)) {
    return ApiError{400,
                    "ResourceNotFoundException",
                    fmt::format("Query does not have result yet. Current status is {}.",
                                StatusName(sub->status)),
                    {{"ResourceId", id}}};
  }
  if (sub->status != StatementStatus::kFinished || !sub->has_result_set || !sub->result) {
    return ApiError{400,
                    "ResourceNotFoundException",
                    "Query does not have result. Please check query status with DescribeStatement.",
                    {{"ResourceId", id}}};
  }
  if (v2 && st->result_format != "CSV") {
    return Validation(
        "GetStatementResultV2 returns results of statements run with ResultFormat CSV. Use "
        "GetStatementResult for JSON results.");
  }
  if (!v2 && st->result_format == "CSV") {
    return Validation(
        "GetStatementResult returns results of statements run with ResultFormat JSON. Use "
        "GetStatementResultV2 for CSV results.");
  }
  const ResultSet& rs = *sub->result;
  if (offset > rs.rows.size()) return Validation("Invalid NextToken provided.");
  // A page ends at result_page_rows rows or before the row that would take it past
  // result_page_bytes (of JSON records, or CSV text for V2); it always holds one row.
  const std::size_t max_rows = static_cast<std::size_t>(ctx.config.limits.result_page_rows);
  const std::int64_t max_bytes = ctx.config.limits.result_page_bytes;
  json records = json::array();
  std::int64_t bytes = 0;
  std::size_t end = offset;
  while (end < rs.rows.size() && end - offset < max_rows) {
    std::int64_t row_bytes = 0;
    json row;
    if (v2) {
      row_bytes = static_cast<std::int64_t>(CsvRecords(rs, end, end + 1, false).size());
    } else {
      row = json::array();
      for (std::size_t c = 0; c < rs.columns.size(); ++c)
        row.push_back(FieldFor(rs.columns[c], rs.rows[end][c]));
      row_bytes = static_cast<std::int64_t>(row.dump().size()) + 1;
    }
    if (end > offset && bytes + row_bytes > max_bytes) break;
    bytes += row_bytes;
    if (!v2) records.push_back(std::move(row));
    ++end;
  }
  json out;
  json meta = json::array();
  for (const ResultColumn& c : rs.columns) meta.push_back(c.metadata);
  out["ColumnMetadata"] = meta;
  out["TotalNumRows"] = static_cast<std::int64_t>(rs.rows.size());
  if (v2) {
    out["Records"] = json::array({{{"CSVRecords", CsvRecords(rs, offset, end, offset == 0)}}});
    out["ResultFormat"] = "CSV";
  } else {
    out["Records"] = std::move(records);
  }
  if (end < rs.rows.size()) out["NextToken"] = EncodeToken(end);
  return out;
}

JsonReply CancelStatement(ServiceContext& ctx, const Identity& caller, const json& in) {
  SP_GET(id, Str(in, "Id"));
  if (id.empty())
    return Validation(
        "1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must "
        "not be null");
  if (!Iam::IsAllowed(caller, "redshift-data:CancelStatement")) {
    return AccessDenied(caller, "redshift-data:CancelStatement", "*");
  }
  auto r = ctx.engine.Cancel(id, caller.PrincipalArn());
  if (auto* e = std::get_if<ApiError>(&r)) return *e;
  return json{{"Status", std::get<bool>(r)}};
}

JsonReply ListStatements(ServiceContext& ctx, const Identity& caller, const json& in) {
  SP_GET(token, Str(in, "NextToken"));
  SP_GET(max, Int(in, "MaxResults", 0, 100));
  SP_GET(name, Str(in, "StatementName"));
  SP_GET(status, Str(in, "Status"));
  SP_GET(database, Str(in, "Database"));
  SP_GET(cluster, Str(in, "ClusterIdentifier"));
  SP_GET(workgroup, Str(in, "WorkgroupName"));
  // RoleLevel (default true): every statement of the caller's role; false: this session's only.
  bool role_level =
      !(in.contains("RoleLevel") && in["RoleLevel"].is_boolean() && !in["RoleLevel"].get<bool>());
  if (!Iam::IsAllowed(caller, "redshift-data:ListStatements")) {
    return AccessDenied(caller, "redshift-data:ListStatements", "*");
  }
  static const std::set<std::string> kStatuses = {"SUBMITTED", "PICKED", "STARTED", "FINISHED",
                                                  "ABORTED",   "FAILED", "ALL"};
  if (!status.empty() && !kStatuses.count(status)) {
    return Validation(fmt::format(
        "1 validation error detected: Value '{}' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SUBMITTED, PICKED, STARTED, FINISHED, "
        "ABORTED, FAILED, ALL]",
        status));
  }
  SP_GET(offset, DecodeToken(token));
  std::vector<json> rows;
  for (const Statement& st : ctx.engine.List(caller.PrincipalArn())) {
    if (!role_level && st.session_arn != caller.arn) continue;
    if (!name.empty() && st.statement_name.rfind(name, 0) != 0) continue;
    if (!status.empty() && status != "ALL" && StatusName(st.status) != status) continue;
    if (!database.empty() && st.target.database != database) continue;
    if (!cluster.empty() && st.target.cluster != cluster) continue;
    if (!workgroup.empty() && st.target.workgroup != workgroup) continue;
    json j = {{"Id", st.id},
              {"Status", std::string(StatusName(st.status))},
              {"CreatedAt", EpochSeconds(st.created_at)},
              {"UpdatedAt", EpochSeconds(st.updated_at)},
              {"IsBatchStatement", st.is_batch},
              {"ResultFormat", st.result_format}};
    if (!st.statement_name.empty()) j["StatementName"] = st.statement_name;
    if (!st.target.secret_arn.empty()) j["SecretArn"] = st.target.secret_arn;
    if (!st.session_id.empty()) j["SessionId"] = st.session_id;
    if (!st.parameters.empty()) j["QueryParameters"] = ParametersJson(st.parameters);
    if (st.is_batch) {
      json qs = json::array();
      for (const SubStatement& s : st.subs) qs.push_back(s.sql);
      j["QueryStrings"] = qs;
    } else {
      j["QueryString"] = st.subs.front().sql;
    }
    rows.push_back(std::move(j));
  }
  std::size_t page = max && *max > 0 ? static_cast<std::size_t>(*max)
                                     : static_cast<std::size_t>(ctx.config.limits.list_page_size);
  json out;
  out["Statements"] = json::array();
  for (std::size_t i = offset; i < rows.size() && i < offset + page; ++i)
    out["Statements"].push_back(rows[i]);
  if (offset + page < rows.size()) out["NextToken"] = EncodeToken(offset + page);
  return out;
}

JsonReply ListSessions(ServiceContext& ctx, const Identity& caller, const json& in) {
  SP_GET(token, Str(in, "NextToken"));
  SP_GET(max, Int(in, "MaxResults", 0, 100));
  SP_GET(session_id, Str(in, "SessionId"));
  SP_GET(status, Str(in, "Status"));
  SP_GET(cluster, Str(in, "ClusterIdentifier"));
  SP_GET(workgroup, Str(in, "WorkgroupName"));
  SP_GET(database, Str(in, "Database"));
  if (!Iam::IsAllowed(caller, "redshift-data:ListSessions")) {
    return AccessDenied(caller, "redshift-data:ListSessions", "*");
  }
  if (!status.empty() && status != "AVAILABLE" && status != "BUSY" && status != "CLOSED") {
    return Validation(fmt::format(
        "1 validation error detected: Value '{}' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [AVAILABLE, BUSY, CLOSED]",
        status));
  }
  SP_GET(offset, DecodeToken(token));
  std::vector<json> rows;
  for (const SessionInfo& s : ctx.engine.Sessions(caller.PrincipalArn())) {
    if (!session_id.empty() && s.id != session_id) continue;
    if (!status.empty() && s.status != status) continue;
    if (!cluster.empty() && s.target.cluster != cluster) continue;
    if (!workgroup.empty() && s.target.workgroup != workgroup) continue;
    if (!database.empty() && s.target.database != database) continue;
    json j = {{"SessionId", s.id},
              {"Status", s.status},
              {"CreatedAt", EpochSeconds(s.created_at)},
              {"UpdatedAt", EpochSeconds(s.updated_at)},
              {"Database", s.target.database},
              {"DbUser", s.target.db_user},
              {"SessionAliveSeconds", s.alive_seconds},
              {"SessionTtl", EpochSeconds(s.ttl)}};
    if (!s.target.cluster.empty()) j["ClusterIdentifier"] = s.target.cluster;
    if (!s.target.workgroup.empty()) j["WorkgroupName"] = s.target.workgroup;
    if (!s.current_statement_id.empty()) j["CurrentStatementId"] = s.current_statement_id;
    rows.push_back(std::move(j));
  }
  std::size_t page = max && *max > 0 ? static_cast<std::size_t>(*max)
                                     : static_cast<std::size_t>(ctx.config.limits.list_page_size);
  json out;
  out["Sessions"] = json::array();
  for (std::size_t i = offset; i < rows.size() && i < offset + page; ++i)
    out["Sessions"].push_back(rows[i]);
  if (offset + page < rows.size()) out["NextToken"] = EncodeToken(offset + page);
  return out;
}

ApiError ConnectionError(const Status& s) {
  return ApiError{500, "DatabaseConnectionException", s.message()};
}

// Runs a metadata query synchronously as the caller's database user and pages its rows.
JsonReply Metadata(ServiceContext& ctx, const Identity& caller, const std::string& op,
                   const json& in) {
  if (!in.contains("Database")) {
    return Validation(
        "1 validation error detected: Value null at 'database' failed to satisfy constraint: "
        "Member "
        "must not be null");
  }
  SP_GET(token, Str(in, "NextToken"));
  SP_GET(max, Int(in, "MaxResults", 0, 1000));
  SP_GET(resolved, ResolveTarget(ctx, caller, op, in));
  SP_GET(offset, DecodeToken(token));
  const Target& t = resolved.target;
  if (t.pg_database.empty()) {
    return ConnectionError(
        Unavailable(fmt::format("FATAL: database \"{}\" does not exist", t.database)));
  }
  auto conn = ctx.pg.Connect(t);
  if (!conn.ok()) return ConnectionError(conn.status());
  PgConn& c = **conn;
  std::size_t page = max && *max > 0
                         ? static_cast<std::size_t>(*max)
                         : static_cast<std::size_t>(ctx.config.limits.metadata_page_size);
  json out;
  std::vector<json> items;
  std::string list_key;
  // Catalog queries run for the caller are logged like statements (operation name as the id).
  auto query = [&](const std::string& sql,
                   const std::vector<std::optional<std::string>>& params) -> Result<PgResult> {
    Result<PgResult> r = c.Exec(sql, params);
    ctx.log.Add(StatementLogEntry{FormatIso8601(ctx.clock.Now()), op, caller.arn, t.db_user,
                                  t.database, sql, r.ok() ? "FINISHED" : "FAILED",
                                  r.ok() ? "" : r.status().message()});
    return r;
  };
  if (op == "ListDatabases") {
    list_key = "Databases";
    for (const auto& [name, pg] : resolved.warehouse->databases) items.emplace_back(name);
  } else if (op == "ListSchemas") {
    list_key = "Schemas";
    SP_GET(pattern, Str(in, "SchemaPattern"));
    auto r = query(
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 "
        "AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%' ORDER BY nspname",
        {pattern.empty() ? "%" : pattern});
    if (!r.ok()) return Validation(r.status().message());
    for (int i = 0; i < r->rows(); ++i) items.emplace_back(r->Get(i, 0));
  } else if (op == "ListTables") {
    list_key = "Tables";
    SP_GET(schema_pattern, Str(in, "SchemaPattern"));
    SP_GET(table_pattern, Str(in, "TablePattern"));
    auto r = query(
        "SELECT schema, name, type FROM ("
        " SELECT n.nspname AS schema, c.relname AS name,"
        "  CASE WHEN n.nspname IN ('pg_catalog', 'information_schema') THEN"
        "    CASE WHEN c.relkind IN ('v', 'm') THEN 'SYSTEM VIEW' ELSE 'SYSTEM TABLE' END"
        "   WHEN c.relpersistence = 't' THEN 'LOCAL TEMPORARY'"
        "   WHEN c.relkind = 'v' THEN 'VIEW'"
        "   WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW'"
        "   WHEN c.relkind = 'f' THEN 'FOREIGN TABLE'"
        "   ELSE 'TABLE' END AS type"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
        "   AND c.relname NOT LIKE 'emulator\\_%'"
        " UNION ALL"
        " SELECT schemaname, tablename, 'EXTERNAL TABLE' FROM pg_catalog.svv_external_tables"
        ") t WHERE schema LIKE $1 AND name LIKE $2 ORDER BY schema, name",
        {schema_pattern.empty() ? "%" : schema_pattern,
         table_pattern.empty() ? "%" : table_pattern});
    if (!r.ok()) return Validation(r.status().message());
    for (int i = 0; i < r->rows(); ++i) {
      items.push_back({{"schema", r->Get(i, 0)}, {"name", r->Get(i, 1)}, {"type", r->Get(i, 2)}});
    }
  } else {  // DescribeTable
    list_key = "ColumnList";
    SP_GET(schema, Str(in, "Schema"));
    SP_GET(table, Str(in, "Table"));
    if (schema.empty()) schema = "public";
    page = std::min(page == static_cast<std::size_t>(ctx.config.limits.metadata_page_size) && !max
                        ? static_cast<std::size_t>(ctx.config.limits.describe_table_page_columns)
                        : page,
                    static_cast<std::size_t>(ctx.config.limits.describe_table_page_columns));
    auto r = query(
        "SELECT col_name, typname, fmt, typmod, not_null, col_default, schema_name, rel FROM ("
        " SELECT a.attname::text AS col_name, t.typname::text AS typname, format_type(a.atttypid, "
        "a.atttypmod) AS fmt,"
        "  a.atttypmod AS typmod, a.attnotnull AS not_null, pg_catalog.pg_get_expr(d.adbin, "
        "d.adrelid) AS col_default,"
        "  n.nspname::text AS schema_name, c.relname::text AS rel, a.attnum::int AS ord"
        " FROM pg_catalog.pg_attribute a"
        " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
        " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE n.nspname = $1 AND ($2::text IS NULL OR c.relname = $2) AND a.attnum > 0 AND NOT "
        "a.attisdropped"
        "   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        " UNION ALL"  // external (Spectrum) tables exist only in the fixtures
        " SELECT columnname::text, external_type, external_type, -1, is_nullable = 'false', NULL,"
        "  schemaname::text, tablename::text, columnnum"
        " FROM pg_catalog.svv_external_columns WHERE schemaname = $1 AND ($2::text IS NULL OR "
        "tablename = $2)"
        ") x ORDER BY rel, ord",
        {schema, table.empty() ? std::nullopt : std::optional<std::string>(table)});
    if (!r.ok()) return Validation(r.status().message());
    for (int i = 0; i < r->rows(); ++i) {
      std::string typname = r->Get(i, 1);
      int mod = std::stoi(r->Get(i, 3));
      int precision = 0, scale = 0, length = 0;
      if ((typname == "varchar" || typname == "bpchar") && mod >= 4) precision = length = mod - 4;
      if (typname == "numeric" && mod >= 4) {
        precision = ((mod - 4) >> 16) & 0xffff;
        scale = (mod - 4) & 0xffff;
      }
      if (typname == "int2") precision = 5;
      if (typname == "int4") precision = 10;
      if (typname == "int8") precision = 19;
      if (typname == "float4") precision = 8;
      if (typname == "float8") precision = 17;
      bool is_signed = typname == "int2" || typname == "int4" || typname == "int8" ||
                       typname == "float4" || typname == "float8" || typname == "numeric";
      bool case_sensitive =
          typname == "varchar" || typname == "bpchar" || typname == "text" || typname == "name";
      json col = {{"name", r->Get(i, 0)},
                  {"label", r->Get(i, 0)},
                  {"typeName", typname},
                  {"length", length},
                  {"precision", precision},
                  {"scale", scale},
                  {"nullable", r->Get(i, 4) == "t" ? 0 : 1},
                  {"isSigned", is_signed},
                  {"isCaseSensitive", case_sensitive},
                  {"isCurrency", false},
                  {"schemaName", r->Get(i, 6)},
                  {"tableName", r->Get(i, 7)}};
      if (!r->IsNull(i, 5)) col["columnDefault"] = r->Get(i, 5);
      items.push_back(std::move(col));
    }
    if (!table.empty()) out["TableName"] = table;
  }
  if (offset > items.size()) return Validation("Invalid NextToken provided.");
  out[list_key] = json::array();
  for (std::size_t i = offset; i < items.size() && i < offset + page; ++i)
    out[list_key].push_back(items[i]);
  if (offset + page < items.size()) out["NextToken"] = EncodeToken(offset + page);
  return out;
}

}  // namespace

JsonReply HandleDataApi(ServiceContext& ctx, const Identity& caller, const std::string& op,
                        const json& in) {
  if (!in.is_object())
    return ApiError{400, "SerializationException",
                    "Start of structure or map found where not expected."};
  if (op == "ExecuteStatement" || op == "BatchExecuteStatement")
    return Execute(ctx, caller, op, in);
  if (op == "DescribeStatement") return Describe(ctx, caller, in);
  if (op == "GetStatementResult" || op == "GetStatementResultV2")
    return GetResult(ctx, caller, op, in);
  if (op == "CancelStatement") return CancelStatement(ctx, caller, in);
  if (op == "ListStatements") return ListStatements(ctx, caller, in);
  if (op == "ListSessions") return ListSessions(ctx, caller, in);
  if (op == "ListDatabases" || op == "ListSchemas" || op == "ListTables" || op == "DescribeTable") {
    return Metadata(ctx, caller, op, in);
  }
  return ApiError{400, "UnknownOperationException", ""};
}

}  // namespace schemaport::emulator
