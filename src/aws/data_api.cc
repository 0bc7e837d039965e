// Redshift Data API client and the run-to-completion helper.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {

using internal::Bool;
using internal::String;
using nlohmann::json;

namespace {

constexpr std::pair<StatementStatus, std::string_view> kStatusNames[] = {
    {StatementStatus::kSubmitted, "SUBMITTED"}, {StatementStatus::kPicked, "PICKED"},
    {StatementStatus::kStarted, "STARTED"},     {StatementStatus::kFinished, "FINISHED"},
    {StatementStatus::kFailed, "FAILED"},       {StatementStatus::kAborted, "ABORTED"},
};

void AddTarget(json& input, const DataApiTarget& t) {
  if (!t.database.empty()) input["Database"] = t.database;
  if (!t.workgroup_name.empty()) input["WorkgroupName"] = t.workgroup_name;
  if (!t.cluster_identifier.empty()) input["ClusterIdentifier"] = t.cluster_identifier;
  if (!t.db_user.empty()) input["DbUser"] = t.db_user;
  if (!t.secret_arn.empty()) input["SecretArn"] = t.secret_arn;
}

Status CheckTarget(const DataApiTarget& t) {
  if (!t.workgroup_name.empty() && !t.cluster_identifier.empty()) {
    return InvalidArgument("give either a workgroup name or a cluster identifier, not both");
  }
  if (t.workgroup_name.empty() && t.cluster_identifier.empty() && t.secret_arn.empty()) {
    return InvalidArgument("a workgroup name, a cluster identifier or a secret ARN is required");
  }
  if (!t.db_user.empty() && t.cluster_identifier.empty()) {
    return InvalidArgument("a database user can only be given with a cluster identifier");
  }
  return Status::Ok();
}

// A signed 64-bit member; `fallback` when absent, not an integer or out of range (an unsigned
// value above INT64_MAX would wrap).
std::int64_t Int(const json& o, const char* key, std::int64_t fallback) {
  const auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    return u <= static_cast<std::uint64_t>(INT64_MAX) ? static_cast<std::int64_t>(u) : fallback;
  }
  return it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

ColumnMetadata ColumnFromJson(const json& c) {
  ColumnMetadata m;
  m.name = String(c, "name");
  m.label = String(c, "label");
  m.type_name = String(c, "typeName");
  m.schema_name = String(c, "schemaName");
  m.table_name = String(c, "tableName");
  m.column_default = String(c, "columnDefault");
  m.nullable = Int(c, "nullable", 0);
  m.precision = Int(c, "precision", 0);
  m.scale = Int(c, "scale", 0);
  m.length = Int(c, "length", 0);
  m.is_case_sensitive = Bool(c, "isCaseSensitive", false);
  m.is_signed = Bool(c, "isSigned", false);
  m.is_currency = Bool(c, "isCurrency", false);
  return m;
}

std::vector<ColumnMetadata> ColumnsFromJson(const json& out, const char* key) {
  std::vector<ColumnMetadata> cols;
  if (out.contains(key) && out[key].is_array()) {
    for (const auto& c : out[key]) {
      if (c.is_object()) cols.push_back(ColumnFromJson(c));
    }
  }
  return cols;
}

// ---- simdjson reading of GetStatementResult ------------------------------------------------
// The DOM API dispatches at run time to the best kernel of the CPU (the On-Demand API would be
// compiled for the baseline target only).

namespace dom = simdjson::dom;

#define SP_SIMD(expr)                                                        \
  do {                                                                       \
    if (auto sp_simd_error_ = (expr); sp_simd_error_) return sp_simd_error_; \
  } while (0)

simdjson::error_code ReadColumn(dom::object object, ColumnMetadata& m) {
  for (const dom::key_value_pair field : object) {
    // Named copies, not a structured binding: lambdas below capture them (clang 14, the fuzz
    // build's compiler, cannot capture structured bindings).
    const std::string_view key = field.key;
    const dom::element v = field.value;
    auto str = [&](std::string& out) -> simdjson::error_code {
      std::string_view s;
      SP_SIMD(v.get_string().get(s));
      out.assign(s);
      return simdjson::SUCCESS;
    };
    auto integer = [&](std::int64_t& out) -> simdjson::error_code {
      return v.get_int64().get(out);  // INCORRECT_TYPE / NUMBER_OUT_OF_RANGE, never cut
    };
    auto boolean = [&](bool& out) -> simdjson::error_code { return v.get_bool().get(out); };
    if (key == "name")
      SP_SIMD(str(m.name));
    else if (key == "label")
      SP_SIMD(str(m.label));
    else if (key == "typeName")
      SP_SIMD(str(m.type_name));
    else if (key == "schemaName")
      SP_SIMD(str(m.schema_name));
    else if (key == "tableName")
      SP_SIMD(str(m.table_name));
    else if (key == "columnDefault")
      SP_SIMD(str(m.column_default));
    else if (key == "nullable")
      SP_SIMD(integer(m.nullable));
    else if (key == "precision")
      SP_SIMD(integer(m.precision));
    else if (key == "scale")
      SP_SIMD(integer(m.scale));
    else if (key == "length")
      SP_SIMD(integer(m.length));
    else if (key == "isCaseSensitive")
      SP_SIMD(boolean(m.is_case_sensitive));
    else if (key == "isSigned")
      SP_SIMD(boolean(m.is_signed));
    else if (key == "isCurrency")
      SP_SIMD(boolean(m.is_currency));
  }
  return simdjson::SUCCESS;
}

// One Data API field ({"longValue": 1}, {"isNull": true}, ...) as a view into the document.
simdjson::error_code ReadField(dom::object object, FieldView& out) {
  out = std::monostate{};
  for (const auto [key, v] : object) {
    if (key == "isNull") {
      bool b = false;
      SP_SIMD(v.get_bool().get(b));
      out = std::monostate{};
    } else if (key == "booleanValue") {
      bool b = false;
      SP_SIMD(v.get_bool().get(b));
      out = b;
    } else if (key == "longValue") {
      std::int64_t i = 0;
      SP_SIMD(v.get_int64().get(i));
      out = i;
    } else if (key == "doubleValue") {
      double d = 0;
      SP_SIMD(v.get_double().get(d));
      out = d;
    } else if (key == "stringValue" || key == "blobValue") {
      std::string_view sv;
      SP_SIMD(v.get_string().get(sv));
      out = sv;
    }
  }
  return simdjson::SUCCESS;
}

FieldValue Own(const FieldView& view) {
  return std::visit(
      [](const auto& x) -> FieldValue {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>) {
          return std::string(x);
        } else {
          return x;
        }
      },
      view);
}

simdjson::error_code ReadResultPage(const std::string& raw, ResultPage& page) {
  dom::parser parser;
  dom::element doc;
  SP_SIMD(parser.parse(raw).get(doc));
  dom::object root;
  SP_SIMD(doc.get_object().get(root));
  dom::array cols;
  if (root["ColumnMetadata"].get_array().get(cols) == simdjson::SUCCESS) {
    page.columns.reserve(cols.size());
    for (dom::element c : cols) {
      dom::object col;
      SP_SIMD(c.get_object().get(col));
      SP_SIMD(ReadColumn(col, page.columns.emplace_back()));
    }
  }
  dom::array rows;
  SP_SIMD(root["Records"].get_array().get(rows));
  page.records.reserve(rows.size());
  for (dom::element r : rows) {
    dom::array cells;
    SP_SIMD(r.get_array().get(cells));
    std::vector<FieldValue>& record = page.records.emplace_back();
    record.reserve(cells.size());
    for (dom::element c : cells) {
      dom::object cell;
      SP_SIMD(c.get_object().get(cell));
      FieldView view;
      SP_SIMD(ReadField(cell, view));
      record.push_back(Own(view));
    }
  }
  std::int64_t total = 0;
  if (root["TotalNumRows"].get_int64().get(total) == simdjson::SUCCESS) page.total_rows = total;
  std::string_view token;
  if (root["NextToken"].get_string().get(token) == simdjson::SUCCESS) page.next_token.assign(token);
  return simdjson::SUCCESS;
}

// Streams the rows of a page: each row as views into the parsed document, valid during the call.
simdjson::error_code ForEachRow(const std::string& raw, std::string& next_token,
                                const std::function<bool(std::span<const FieldView>)>& on_row) {
  dom::parser parser;
  dom::element doc;
  SP_SIMD(parser.parse(raw).get(doc));
  dom::object root;
  SP_SIMD(doc.get_object().get(root));
  dom::array rows;
  SP_SIMD(root["Records"].get_array().get(rows));
  std::vector<FieldView> row;
  for (dom::element r : rows) {
    dom::array cells;
    SP_SIMD(r.get_array().get(cells));
    row.clear();
    for (dom::element c : cells) {
      dom::object cell;
      SP_SIMD(c.get_object().get(cell));
      SP_SIMD(ReadField(cell, row.emplace_back()));
    }
    if (!on_row(row)) return simdjson::SUCCESS;  // the caller stopped; its status says why
  }
  std::string_view token;
  next_token.clear();
  if (root["NextToken"].get_string().get(token) == simdjson::SUCCESS) next_token.assign(token);
  return simdjson::SUCCESS;
}

#undef SP_SIMD

std::chrono::milliseconds Remaining(const Clock& clock,
                                    std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Monotonic());
}

int WaitSeconds(std::chrono::milliseconds remaining) {
  const auto s = static_cast<int>(std::ceil(static_cast<double>(remaining.count()) / 1000.0));
  return std::clamp(s, 1, 30);
}

bool IsValidationError(const Status& s) {
  return s.code() == Code::kInvalidArgument && AwsErrorCode(s) == "ValidationException";
}

}  // namespace

StatementStatus ParseStatementStatus(std::string_view text) {
  for (const auto& [status, name] : kStatusNames) {
    if (name == text) return status;
  }
  return StatementStatus::kUnknown;
}

std::string_view StatementStatusName(StatementStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "UNKNOWN";
}

RedshiftDataClient::RedshiftDataClient(std::unique_ptr<AwsServiceClient> client, Clock& clock,
                                       Random& random)
    : client_(std::move(client)), clock_(clock), random_(random) {}
RedshiftDataClient::~RedshiftDataClient() = default;

AwsServiceClient& RedshiftDataClient::service() {
  return *client_;
}

Result<std::unique_ptr<RedshiftDataClient>> RedshiftDataClient::Create(
    ClientConfig config, std::shared_ptr<HttpClient> http,
    std::shared_ptr<CredentialsProvider> credentials, Clock& clock, Random& random) {
  auto client = SP_TRY(internal::MakeServiceClient(
      "redshift-data", std::move(config), std::move(http), std::move(credentials), clock, random));
  return std::make_unique<RedshiftDataClient>(std::move(client), clock, random);
}

Result<ExecuteStatementResult> RedshiftDataClient::ExecuteStatement(
    const ExecuteStatementRequest& r) {
  if (r.sql.size() > kMaxSqlBytes) {
    return InvalidArgument("SQL text is " + std::to_string(r.sql.size()) +
                           " bytes; the Data API accepts at most 100 KB");
  }
  json input = {{"Sql", r.sql}};
  if (r.session_id.empty()) {
    SP_TRY(CheckTarget(r.target));
    AddTarget(input, r.target);
  } else {
    input["SessionId"] = r.session_id;
  }
  if (!r.parameters.empty()) {
    json params = json::array();
    for (const auto& p : r.parameters) params.push_back({{"name", p.name}, {"value", p.value}});
    input["Parameters"] = std::move(params);
  }
  if (!r.statement_name.empty()) input["StatementName"] = r.statement_name;
  if (r.with_event) input["WithEvent"] = true;
  input["ClientToken"] = r.client_token.empty() ? NewId(random_) : r.client_token;
  if (!r.result_format.empty()) input["ResultFormat"] = r.result_format;
  if (r.session_keep_alive_seconds)
    input["SessionKeepAliveSeconds"] = *r.session_keep_alive_seconds;
  if (r.wait_time_seconds) input["WaitTimeSeconds"] = *r.wait_time_seconds;
  const json out = SP_TRY(client_->Call("ExecuteStatement", input));
  ExecuteStatementResult result;
  result.id = String(out, "Id");
  result.session_id = String(out, "SessionId");
  result.database = String(out, "Database");
  result.status = ParseStatementStatus(String(out, "Status"));
  if (out.contains("HasResultSet") && out["HasResultSet"].is_boolean()) {
    result.has_result_set = out["HasResultSet"].get<bool>();
  }
  if (result.id.empty())
    return Unavailable("redshift-data ExecuteStatement returned no statement Id");
  return result;
}

Result<StatementDescription> RedshiftDataClient::DescribeStatement(
    std::string_view id, std::optional<int> wait_time_seconds) {
  json input = {{"Id", id}};
  if (wait_time_seconds) input["WaitTimeSeconds"] = *wait_time_seconds;
  const json out = SP_TRY(client_->Call("DescribeStatement", input));
  StatementDescription d;
  d.id = String(out, "Id");
  d.status = ParseStatementStatus(String(out, "Status"));
  d.error = String(out, "Error");
  d.has_result_set = Bool(out, "HasResultSet", false);
  d.result_rows = Int(out, "ResultRows", -1);
  d.result_size = Int(out, "ResultSize", -1);
  d.duration_ns = Int(out, "Duration", -1);
  d.redshift_query_id = Int(out, "RedshiftQueryId", 0);
  d.session_id = String(out, "SessionId");
  d.result_format = String(out, "ResultFormat");
  return d;
}

Result<std::string> RedshiftDataClient::GetStatementResultRows(
    std::string_view id, std::string_view next_token,
    const std::function<Status(std::span<const FieldView>)>& on_row) {
  nlohmann::json input = {{"Id", std::string(id)}};
  if (!next_token.empty()) input["NextToken"] = std::string(next_token);
  const std::string raw = SP_TRY(client_->CallRaw("GetStatementResult", input));
  Status row_status;
  std::string token;
  const auto error = ForEachRow(raw, token, [&](std::span<const FieldView> row) {
    row_status = on_row(row);
    return row_status.ok();
  });
  SP_TRY(row_status);
  if (error != simdjson::SUCCESS) {
    return Unavailable("redshift-data GetStatementResult returned a malformed reply",
                       simdjson::error_message(error));
  }
  return token;
}

Result<ResultPage> RedshiftDataClient::GetStatementResult(std::string_view id,
                                                          std::string_view next_token) {
  json input = {{"Id", id}};
  if (!next_token.empty()) input["NextToken"] = next_token;
  const std::string raw = SP_TRY(client_->CallRaw("GetStatementResult", input));
  ResultPage page;
  if (const auto error = ReadResultPage(raw, page); error != simdjson::SUCCESS) {
    return Unavailable("redshift-data GetStatementResult returned a malformed reply",
                       simdjson::error_message(error));
  }
  return page;
}

Result<CsvResultPage> RedshiftDataClient::GetStatementResultV2(std::string_view id,
                                                               std::string_view next_token) {
  json input = {{"Id", id}};
  if (!next_token.empty()) input["NextToken"] = next_token;
  const json out = SP_TRY(client_->Call("GetStatementResultV2", input));
  CsvResultPage page;
  page.columns = ColumnsFromJson(out, "ColumnMetadata");
  page.total_rows = Int(out, "TotalNumRows", 0);
  page.next_token = String(out, "NextToken");
  if (out.contains("Records") && out["Records"].is_array()) {
    for (const auto& r : out["Records"]) {
      if (r.is_object() && r.contains("CSVRecords") && r["CSVRecords"].is_string()) {
        page.csv_records.push_back(r["CSVRecords"].get<std::string>());
      }
    }
  }
  return page;
}

Result<bool> RedshiftDataClient::CancelStatement(std::string_view id) {
  const json out = SP_TRY(client_->Call("CancelStatement", {{"Id", id}}));
  return Bool(out, "Status", false);
}

Result<Page<std::string>> RedshiftDataClient::ListDatabases(const DataApiTarget& target,
                                                            std::string_view next_token,
                                                            std::optional<int> max_results) {
  SP_TRY(CheckTarget(target));
  json input = json::object();
  AddTarget(input, target);
  if (!next_token.empty()) input["NextToken"] = next_token;
  if (max_results) input["MaxResults"] = *max_results;
  const json out = SP_TRY(client_->Call("ListDatabases", input));
  Page<std::string> page;
  if (out.contains("Databases") && out["Databases"].is_array()) {
    for (const auto& d : out["Databases"]) {
      if (d.is_string()) page.items.push_back(d.get<std::string>());
    }
  }
  page.next_token = String(out, "NextToken");
  return page;
}

Result<Page<std::string>> RedshiftDataClient::ListSchemas(const DataApiTarget& target,
                                                          std::string_view schema_pattern,
                                                          std::string_view connected_database,
                                                          std::string_view next_token,
                                                          std::optional<int> max_results) {
  SP_TRY(CheckTarget(target));
  json input = json::object();
  AddTarget(input, target);
  if (!schema_pattern.empty()) input["SchemaPattern"] = schema_pattern;
  if (!connected_database.empty()) input["ConnectedDatabase"] = connected_database;
  if (!next_token.empty()) input["NextToken"] = next_token;
  if (max_results) input["MaxResults"] = *max_results;
  const json out = SP_TRY(client_->Call("ListSchemas", input));
  Page<std::string> page;
  if (out.contains("Schemas") && out["Schemas"].is_array()) {
    for (const auto& s : out["Schemas"]) {
      if (s.is_string()) page.items.push_back(s.get<std::string>());
    }
  }
  page.next_token = String(out, "NextToken");
  return page;
}

Result<Page<TableMember>> RedshiftDataClient::ListTables(const DataApiTarget& target,
                                                         std::string_view schema_pattern,
                                                         std::string_view table_pattern,
                                                         std::string_view connected_database,
                                                         std::string_view next_token,
                                                         std::optional<int> max_results) {
  SP_TRY(CheckTarget(target));
  json input = json::object();
  AddTarget(input, target);
  if (!schema_pattern.empty()) input["SchemaPattern"] = schema_pattern;
  if (!table_pattern.empty()) input["TablePattern"] = table_pattern;
  if (!connected_database.empty()) input["ConnectedDatabase"] = connected_database;
  if (!next_token.empty()) input["NextToken"] = next_token;
  if (max_results) input["MaxResults"] = *max_results;
  const json out = SP_TRY(client_->Call("ListTables", input));
  Page<TableMember> page;
  if (out.contains("Tables") && out["Tables"].is_array()) {
    for (const auto& t : out["Tables"]) {
      if (t.is_object())
        page.items.push_back({String(t, "name"), String(t, "schema"), String(t, "type")});
    }
  }
  page.next_token = String(out, "NextToken");
  return page;
}

Result<DescribeTableResult> RedshiftDataClient::DescribeTable(const DataApiTarget& target,
                                                              std::string_view schema,
                                                              std::string_view table,
                                                              std::string_view connected_database,
                                                              std::string_view next_token,
                                                              std::optional<int> max_results) {
  SP_TRY(CheckTarget(target));
  json input = json::object();
  AddTarget(input, target);
  if (!schema.empty()) input["Schema"] = schema;
  if (!table.empty()) input["Table"] = table;
  if (!connected_database.empty()) input["ConnectedDatabase"] = connected_database;
  if (!next_token.empty()) input["NextToken"] = next_token;
  if (max_results) input["MaxResults"] = *max_results;
  const json out = SP_TRY(client_->Call("DescribeTable", input));
  DescribeTableResult r;
  r.table_name = String(out, "TableName");
  r.columns = ColumnsFromJson(out, "ColumnList");
  r.next_token = String(out, "NextToken");
  return r;
}

namespace {
// The one check of every NextToken loop: a token the service already sent means the pages
// would repeat forever; that is an error, not a reason to keep fetching.
class NextTokenGuard {
 public:
  Status Check(const std::string& token, std::string_view operation) {
    if (!token.empty() && !seen_.insert(token).second) {
      return Unavailable("redshift-data " + std::string(operation) +
                         " returned a NextToken it had already sent; stopped paging");
    }
    return Status::Ok();
  }

 private:
  std::unordered_set<std::string> seen_;
};

// Follows NextToken; stops with an error if the service repeats a token (a loop).
template <typename T, typename Fetch>
Result<std::vector<T>> AllPages(std::string_view operation, Fetch fetch) {
  std::vector<T> all;
  std::string token;
  NextTokenGuard guard;
  do {
    auto page = SP_TRY(fetch(token));
    std::move(page.items.begin(), page.items.end(), std::back_inserter(all));
    token = std::move(page.next_token);
    SP_TRY(guard.Check(token, operation));
  } while (!token.empty());
  return all;
}
}  // namespace

Result<std::vector<std::string>> RedshiftDataClient::ListAllDatabases(const DataApiTarget& target) {
  return AllPages<std::string>(
      "ListDatabases", [&](const std::string& token) { return ListDatabases(target, token); });
}

Result<std::vector<std::string>> RedshiftDataClient::ListAllSchemas(
    const DataApiTarget& target, std::string_view schema_pattern) {
  return AllPages<std::string>("ListSchemas", [&](const std::string& token) {
    return ListSchemas(target, schema_pattern, {}, token);
  });
}

Result<std::vector<TableMember>> RedshiftDataClient::ListAllTables(const DataApiTarget& target,
                                                                   std::string_view schema_pattern,
                                                                   std::string_view table_pattern) {
  return AllPages<TableMember>("ListTables", [&](const std::string& token) {
    return ListTables(target, schema_pattern, table_pattern, {}, token);
  });
}

Result<std::vector<ColumnMetadata>> RedshiftDataClient::DescribeAllColumns(
    const DataApiTarget& target, std::string_view schema, std::string_view table) {
  return AllPages<ColumnMetadata>(
      "DescribeTable", [&](const std::string& token) -> Result<Page<ColumnMetadata>> {
        auto r = SP_TRY(DescribeTable(target, schema, table, {}, token));
        return Page<ColumnMetadata>{std::move(r.columns), std::move(r.next_token)};
      });
}

Result<StatementDescription> RedshiftDataClient::RunToCompletion(ExecuteStatementRequest request,
                                                                 const RunOptions& options) {
  const auto deadline = clock_.Monotonic() + options.deadline;
  const bool cancellable = static_cast<bool>(options.cancelled);
  // One long-poll call waits at most this long, so cancellation is seen in time.
  auto wait_for = [&] {
    const int s = WaitSeconds(Remaining(clock_, deadline));
    return cancellable ? std::min(s, 1) : s;
  };
  bool long_poll = options.long_poll;
  const bool we_set_wait = long_poll && !request.wait_time_seconds;
  if (we_set_wait) request.wait_time_seconds = wait_for();
  if (request.client_token.empty()) request.client_token = NewId(random_);
  auto exec = ExecuteStatement(request);
  if (!exec.ok() && we_set_wait && IsValidationError(exec.status())) {
    // The service rejected WaitTimeSeconds: fall back to polling (same ClientToken).
    long_poll = false;
    request.wait_time_seconds.reset();
    exec = ExecuteStatement(request);
  }
  if (!exec.ok()) return exec.status();
  const std::string id = exec->id;

  StatementDescription desc;
  desc.id = id;
  desc.status = exec->status;
  desc.session_id = exec->session_id;
  // ExecuteStatement's own wait saw it finish: nothing to describe unless asked (a failure is
  // always described, for its error text).
  bool described = !options.full_description && exec->status == StatementStatus::kFinished &&
                   exec->has_result_set.has_value();
  if (described) desc.has_result_set = *exec->has_result_set;
  auto backoff = options.poll_initial;
  auto cancel = [&]() -> Status {
    auto accepted = CancelStatement(id);
    return Status(Code::kCancelled,
                  "statement " + id + " was cancelled" +
                      (accepted.ok() ? "" : " (cancelling it on the service failed)"));
  };
  while (!(described && IsTerminal(desc.status))) {
    if (cancellable && options.cancelled()) return cancel();
    if (described || !IsTerminal(desc.status)) {
      const auto remaining = Remaining(clock_, deadline);
      if (remaining.count() <= 0) {
        auto cancelled = CancelStatement(id);
        return Status(Code::kTimeout,
                      "statement " + id + " did not finish within " +
                          std::to_string(options.deadline.count() / 1000) + " s" +
                          (cancelled.ok() ? " and was cancelled" : " (cancelling it failed)"));
      }
      if (!long_poll) {
        auto sleep = std::min(backoff, remaining);
        if (cancellable)
          sleep = std::min<std::chrono::milliseconds>(sleep, std::chrono::milliseconds(1000));
        clock_.SleepFor(sleep);
        backoff = std::min(backoff * 2, options.poll_max);
      }
    }
    Result<StatementDescription> d = long_poll && !IsTerminal(desc.status)
                                         ? DescribeStatement(id, wait_for())
                                         : DescribeStatement(id);
    if (!d.ok() && long_poll && IsValidationError(d.status())) {
      long_poll = false;
      continue;
    }
    if (!d.ok()) return d.status();
    desc = std::move(d).value();
    described = true;
  }
  if (desc.status == StatementStatus::kFailed) {
    // The Data API gives a failed statement's SQL error as text only (no SQLSTATE): this adapter
    // is the one place that reads it, so callers can go by the code.
    Code code = Code::kFailedPrecondition;
    if (desc.error.find("permission denied") != std::string::npos) {
      code = Code::kPermissionDenied;
    } else if (desc.error.find("does not exist") != std::string::npos) {
      code = Code::kNotFound;  // database, schema or relation "..." does not exist
    }
    return Status(code, "statement failed: " + desc.error.substr(0, 2000), "statement_id=" + id);
  }
  if (desc.status == StatementStatus::kAborted) {
    return Status(Code::kCancelled, "statement " + id + " was aborted");
  }
  return desc;
}

Status RedshiftDataClient::ReadPages(
    const StatementDescription& desc, const RunOptions& options,
    const std::function<Result<std::string>(const std::string&)>& page) {
  if (!desc.has_result_set) return Status::Ok();
  const auto deadline = clock_.Monotonic() + options.results_deadline;
  NextTokenGuard guard;
  std::string token;
  do {
    if (options.cancelled && options.cancelled()) {
      return Status(Code::kCancelled, "cancelled while reading the results of " + desc.id);
    }
    if (clock_.Monotonic() >= deadline) {
      return Status(Code::kTimeout,
                    "reading the results of statement " + desc.id + " took longer than " +
                        std::to_string(options.results_deadline.count() / 1000) + " s");
    }
    token = SP_TRY(page(token));
    SP_TRY(guard.Check(token, "GetStatementResult"));
  } while (!token.empty());
  return Status::Ok();
}

Result<StatementDescription> RedshiftDataClient::RunStatement(
    ExecuteStatementRequest request, const RunOptions& options,
    const std::function<Status(const ResultPage&)>& on_page) {
  StatementDescription desc = SP_TRY(RunToCompletion(std::move(request), options));
  if (!on_page) return desc;
  SP_TRY(ReadPages(desc, options, [&](const std::string& token) -> Result<std::string> {
    ResultPage page = SP_TRY(GetStatementResult(desc.id, token));
    SP_TRY(on_page(page));
    return std::move(page.next_token);
  }));
  return desc;
}

Result<StatementDescription> RedshiftDataClient::RunStatementCsv(
    ExecuteStatementRequest request, const RunOptions& options,
    const std::function<Status(const CsvResultPage&)>& on_page) {
  request.result_format = "CSV";
  StatementDescription desc = SP_TRY(RunToCompletion(std::move(request), options));
  if (!on_page) return desc;
  SP_TRY(ReadPages(desc, options, [&](const std::string& token) -> Result<std::string> {
    CsvResultPage page = SP_TRY(GetStatementResultV2(desc.id, token));
    SP_TRY(on_page(page));
    return std::move(page.next_token);
  }));
  return desc;
}

Result<StatementDescription> RedshiftDataClient::RunStatementRows(
    ExecuteStatementRequest request, const RunOptions& options,
    const std::function<Status(std::span<const FieldView>)>& on_row) {
  StatementDescription desc = SP_TRY(RunToCompletion(std::move(request), options));
  if (!on_row) return desc;
  SP_TRY(ReadPages(desc, options, [&](const std::string& token) {
    return GetStatementResultRows(desc.id, token, on_row);
  }));
  return desc;
}

}  // namespace schemaport::aws
