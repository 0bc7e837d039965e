#include "statements.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

namespace schemaport::emulator {
namespace {

using Kind = ResultColumn::Kind;

struct TypeInfo {
  const char* name;
  Kind kind;
  int precision;
  bool is_signed;
  bool case_sensitive;
};

// Builtin type OIDs (pg_type.h) and how the Data API presents them.
std::optional<TypeInfo> BuiltinType(Oid oid) {
  switch (oid) {
    case 16: return TypeInfo{"bool", Kind::kBool, 1, false, false};
    case 17: return TypeInfo{"bytea", Kind::kBlob, 2147483647, false, false};
    case 18: return TypeInfo{"char", Kind::kString, 1, false, true};
    case 19: return TypeInfo{"name", Kind::kString, 64, false, true};
    case 20: return TypeInfo{"int8", Kind::kLong, 19, true, false};
    case 21: return TypeInfo{"int2", Kind::kLong, 5, true, false};
    case 23: return TypeInfo{"int4", Kind::kLong, 10, true, false};
    case 25: return TypeInfo{"text", Kind::kString, 65535, false, true};
    case 26: return TypeInfo{"oid", Kind::kLong, 10, false, false};
    case 700: return TypeInfo{"float4", Kind::kDouble, 8, true, false};
    case 701: return TypeInfo{"float8", Kind::kDouble, 17, true, false};
    case 1042: return TypeInfo{"bpchar", Kind::kString, 65535, false, true};
    case 1043: return TypeInfo{"varchar", Kind::kString, 65535, false, true};
    case 1082: return TypeInfo{"date", Kind::kString, 13, false, false};
    case 1083: return TypeInfo{"time", Kind::kString, 15, false, false};
    case 1114: return TypeInfo{"timestamp", Kind::kString, 29, false, false};
    case 1184: return TypeInfo{"timestamptz", Kind::kString, 35, false, false};
    case 1266: return TypeInfo{"timetz", Kind::kString, 21, false, false};
    case 1700: return TypeInfo{"numeric", Kind::kString, 1000, true, false};
    default: return std::nullopt;
  }
}

Result<ResultSet> BuildResult(PgConn& conn, const PGresult* r) {
  ResultSet out;
  int ncols = PQnfields(r);
  int nrows = PQntuples(r);
  // Type names for non-builtin types, and the source column of each result column.
  std::map<Oid, std::string> extra_types;
  std::vector<Oid> unknown;
  std::string tables = "{", columns = "{";
  bool any_table = false;
  for (int c = 0; c < ncols; ++c) {
    Oid t = PQftype(r, c);
    if (!BuiltinType(t)) unknown.push_back(t);
    if (PQftable(r, c) != InvalidOid && PQftablecol(r, c) > 0) {
      if (any_table) {
        tables += ',';
        columns += ',';
      }
      tables += std::to_string(PQftable(r, c));
      columns += std::to_string(PQftablecol(r, c));
      any_table = true;
    }
  }
  if (!unknown.empty()) {
    std::string arr = "{";
    for (std::size_t i = 0; i < unknown.size(); ++i)
      arr += (i ? "," : "") + std::to_string(unknown[i]);
    arr += "}";
    PgResult tr = SP_TRY(
        conn.Exec("SELECT oid, typname FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])", {arr}));
    for (int i = 0; i < tr.rows(); ++i)
      extra_types[static_cast<Oid>(std::stoul(tr.Get(i, 0)))] = tr.Get(i, 1);
  }
  struct Source {
    std::string schema, table;
    bool not_null = false;
  };
  std::map<std::pair<Oid, int>, Source> sources;
  if (any_table) {
    tables += '}';
    columns += '}';
    PgResult sr =
        SP_TRY(conn.Exec("SELECT x.t, x.c, n.nspname, c.relname, a.attnotnull "
                         "FROM unnest($1::oid[], $2::int2[]) AS x(t, c) "
                         "JOIN pg_catalog.pg_class c ON c.oid = x.t "
                         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                         "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.c",
                         {tables, columns}));
    for (int i = 0; i < sr.rows(); ++i) {
      sources[{static_cast<Oid>(std::stoul(sr.Get(i, 0))), std::stoi(sr.Get(i, 1))}] =
          Source{sr.Get(i, 2), sr.Get(i, 3), sr.Get(i, 4) == "t"};
    }
  }
  for (int c = 0; c < ncols; ++c) {
    Oid t = PQftype(r, c);
    int mod = PQfmod(r, c);
    TypeInfo info = BuiltinType(t).value_or(TypeInfo{nullptr, Kind::kString, 65535, false, true});
    std::string type_name = info.name ? info.name : extra_types[t];
    int precision = info.precision;
    int scale = 0;
    if ((t == 1043 || t == 1042) && mod >= 4) precision = mod - 4;
    if (t == 1700 && mod >= 4) {
      precision = ((mod - 4) >> 16) & 0xffff;
      scale = (mod - 4) & 0xffff;
    }
    if (t == 1114 || t == 1184 || t == 1083 || t == 1266) scale = 6;
    if (t == 700) scale = 8;
    if (t == 701) scale = 17;
    ResultColumn col;
    col.kind = info.kind;
    std::string name = PQfname(r, c);
    Source src;
    auto it = sources.find({PQftable(r, c), PQftablecol(r, c)});
    if (it != sources.end()) src = it->second;
    col.metadata = {{"isCaseSensitive", info.case_sensitive},
                    {"isCurrency", false},
                    {"isSigned", info.is_signed},
                    {"label", name},
                    {"length", 0},
                    {"name", name},
                    {"nullable", src.not_null ? 0 : 1},
                    {"precision", precision},
                    {"scale", scale},
                    {"schemaName", src.schema},
                    {"tableName", src.table},
                    {"typeName", type_name}};
    out.columns.push_back(std::move(col));
  }
  out.rows.reserve(static_cast<std::size_t>(nrows));
  for (int i = 0; i < nrows; ++i) {
    std::vector<std::optional<std::string>> row;
    row.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
      }
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::int64_t ResultBytes(const ResultSet& rs) {
  std::int64_t n = 0;
  for (const auto& row : rs.rows) {
    for (const auto& v : row) n += v ? static_cast<std::int64_t>(v->size()) : 0;
  }
  return n;
}

// The Data API's result limits (Amazon Redshift Management Guide, "Troubleshooting issues for
// Amazon Redshift Data API"): each row at most 64 KB, the whole result at most 500 MB.
Status CheckResultLimits(const ResultSet& rs, const LimitsConfig& limits) {
  std::int64_t total = 0;
  for (const auto& row : rs.rows) {
    std::int64_t n = 0;
    for (const auto& v : row) n += v ? static_cast<std::int64_t>(v->size()) : 0;
    if (n > limits.max_row_bytes) {
      return InvalidArgument(
          fmt::format("ERROR: Packet for query is too large: a result row is {} bytes; the Data "
                      "API returns rows "
                      "of at most {} bytes.",
                      n, limits.max_row_bytes));
    }
    total += n;
  }
  if (total > limits.max_result_bytes) {
    return InvalidArgument(
        fmt::format("ERROR: Database response exceeded size limit: the result is {} bytes; the "
                    "Data API returns "
                    "at most {} bytes. Split the query, e.g. with LIMIT.",
                    total, limits.max_result_bytes));
  }
  return Status::Ok();
}

// What Redshift refuses that PostgreSQL runs. A statement that uses a leader-node-only function
// (Database Developer Guide, "Leader node-only functions") or a function AWS lists as
// unsupported ("Unsupported PostgreSQL functions") fails when it also references a compute-node
// relation: a user table or a system table or view (STL_, STV_, SVL_, SVV_, SYS_ prefixes).
// Statements over catalog tables (PG_*) alone, or over no table, run on the leader node, where
// these functions work. Functions and relations are recognised in PostgreSQL's own parse tree
// (PgConn::ParseTree: the function oids and relids of its nodes), never in the SQL text.
constexpr std::string_view kLeaderNodeOnlyFunctions[] = {"current_schema",
                                                         "current_schemas",
                                                         "has_database_privilege",
                                                         "has_schema_privilege",
                                                         "has_table_privilege",
                                                         "substr",
                                                         "factorial"};
constexpr std::string_view kUnsupportedFunctions[] = {"string_agg",
                                                      "array_agg",
                                                      "every",
                                                      "xmlagg",
                                                      "corr",
                                                      "covar_pop",
                                                      "covar_samp",
                                                      "regr_avgx",
                                                      "regr_avgy",
                                                      "regr_count",
                                                      "regr_intercept",
                                                      "regr_r2",
                                                      "regr_slope",
                                                      "regr_sxx",
                                                      "regr_sxy",
                                                      "regr_syy",
                                                      "clock_timestamp",
                                                      "justify_days",
                                                      "justify_hours",
                                                      "justify_interval",
                                                      "pg_sleep",
                                                      "transaction_timestamp",
                                                      "div",
                                                      "setseed",
                                                      "width_bucket",
                                                      "generate_series",
                                                      "generate_subscripts",
                                                      "bit_length",
                                                      "overlay",
                                                      "convert",
                                                      "convert_from",
                                                      "convert_to"};
constexpr std::string_view kSystemRelationPrefixes[] = {"stl_", "stv_",  "svl_", "svv_",
                                                        "sys_", "svcs_", "stcs_"};
constexpr std::string_view kNotSupportedOnRedshiftTables =
    "ERROR: Specified types or functions (one per INFO message) not supported on Redshift tables.";

std::string OidArray(const std::string& tree, const std::regex& field) {
  std::set<std::string> oids;
  for (auto it = std::sregex_iterator(tree.begin(), tree.end(), field);
       it != std::sregex_iterator(); ++it) {
    oids.insert((*it)[1].str());
  }
  std::string out = "{";
  for (const std::string& o : oids) out += (out.size() > 1 ? "," : "") + o;
  return out + "}";
}

// The Redshift error for `sql`, or nullopt when Redshift would run it (or it cannot be analysed:
// then PostgreSQL's own error comes from running it).
std::optional<std::string> RedshiftRefusal(PgConn& conn, const std::string& sql, int params) {
  auto tree = conn.ParseTree(sql, params);
  if (!tree.ok()) return std::nullopt;
  static const std::regex kRelid(R"(:relid (\d+))");
  // Function calls (FuncExpr), aggregates (Aggref) and window functions (WindowFunc).
  static const std::regex kFuncid(R"(:(?:funcid|aggfnoid|winfnoid) (\d+))");
  const std::string relids = OidArray(*tree, kRelid);
  const std::string funcids = OidArray(*tree, kFuncid);
  if (funcids == "{}" || relids == "{}") return std::nullopt;
  auto objects = conn.Exec(
      "SELECT 'r', n.nspname, c.relname FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[]) "
      "UNION ALL SELECT 'f', n.nspname, p.proname FROM pg_catalog.pg_proc p "
      "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = ANY($2::oid[])",
      {relids, funcids});
  if (!objects.ok()) return std::nullopt;
  bool compute_node_relation = false, refused_function = false;
  for (int i = 0; i < objects->rows(); ++i) {
    const std::string schema = objects->Get(i, 1), name = objects->Get(i, 2);
    if (objects->Get(i, 0) == "r") {
      const bool catalog = schema == "pg_catalog" || schema == "information_schema";
      bool system = false;
      for (std::string_view p : kSystemRelationPrefixes) system = system || name.rfind(p, 0) == 0;
      if (!catalog || system) compute_node_relation = true;
    } else if (schema == "pg_catalog") {
      for (std::string_view f : kLeaderNodeOnlyFunctions)
        refused_function = refused_function || name == f;
      for (std::string_view f : kUnsupportedFunctions)
        refused_function = refused_function || name == f;
    }
  }
  if (compute_node_relation && refused_function) return std::string(kNotSupportedOnRedshiftTables);
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string QuoteLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string_view StatusName(StatementStatus s) {
  switch (s) {
    case StatementStatus::kSubmitted: return "SUBMITTED";
    case StatementStatus::kPicked: return "PICKED";
    case StatementStatus::kStarted: return "STARTED";
    case StatementStatus::kFinished: return "FINISHED";
    case StatementStatus::kFailed: return "FAILED";
    case StatementStatus::kAborted: return "ABORTED";
  }
  return "FAILED";
}

std::string NewUuid(Random& random) {
  std::uint8_t b[16];
  random.Fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(b);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

nlohmann::json FieldFor(const ResultColumn& column, const std::optional<std::string>& value) {
  if (!value) return {{"isNull", true}};
  const std::string& v = *value;
  switch (column.kind) {
    case Kind::kLong: try { return {{"longValue", std::stoll(v)}};
      } catch (const std::exception&) {
        return {{"stringValue", v}};
      }
    case Kind::kDouble: {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end && *end == '\0' && std::isfinite(d)) return {{"doubleValue", d}};
      return {{"stringValue", v}};
    }
    case Kind::kBool: return {{"booleanValue", v == "t"}};
    case Kind::kBlob: {
      // PostgreSQL's hex output "\x0a0b"; the wire form is base64.
      std::vector<std::uint8_t> bytes;
      if (v.size() >= 2 && v[0] == '\\' && v[1] == 'x') {
        for (std::size_t i = 2; i + 1 < v.size(); i += 2) {
          int hi = HexValue(v[i]), lo = HexValue(v[i + 1]);
          if (hi < 0 || lo < 0) break;
          bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
        }
      } else {
        bytes.assign(v.begin(), v.end());
      }
      return {{"blobValue", Base64Encode(bytes)}};
    }
    case Kind::kString: return {{"stringValue", v}};
  }
  return {{"stringValue", v}};
}

std::string CsvRecords(const ResultSet& result, std::size_t begin, std::size_t end, bool header) {
  auto field = [](std::string_view s) {
    bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
    if (!quote) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  std::string out;
  if (header) {
    for (std::size_t c = 0; c < result.columns.size(); ++c) {
      if (c) out += ',';
      out += field(result.columns[c].metadata["name"].get<std::string>());
    }
    out += '\n';
  }
  for (std::size_t i = begin; i < end && i < result.rows.size(); ++i) {
    const auto& row = result.rows[i];
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      if (row[c]) out += field(*row[c]);
    }
    out += '\n';
  }
  return out;
}

std::string RewriteRedshiftSql(const std::string& sql) {
  static const std::regex kShow(R"(^\s*show\s+enable_case_sensitive_identifier\s*;?\s*$)",
                                std::regex::icase);
  static const std::regex kSet(
      R"(^\s*set\s+(session\s+)?enable_case_sensitive_identifier\s*(to|=)\s*'?(true|false|on|off)'?\s*;?\s*$)",
      std::regex::icase);
  static const std::regex kReset(R"(^\s*reset\s+enable_case_sensitive_identifier\s*;?\s*$)",
                                 std::regex::icase);
  if (std::regex_match(sql, kShow)) {
    return "SELECT coalesce(nullif(current_setting('emulator.enable_case_sensitive_identifier', "
           "true), ''), 'off')"
           "::varchar AS enable_case_sensitive_identifier";
  }
  std::smatch m;
  if (std::regex_match(sql, m, kSet)) {
    std::string v = m[3].str();
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    bool on = v == "true" || v == "on";
    return std::string("SET emulator.enable_case_sensitive_identifier = ") + (on ? "on" : "off");
  }
  if (std::regex_match(sql, kReset)) return "RESET emulator.enable_case_sensitive_identifier";
  return sql;
}

std::variant<BoundSql, ApiError> BindParameters(
    const std::string& sql, const std::vector<std::pair<std::string, std::string>>& params) {
  BoundSql out;
  std::map<std::string, int> numbers;
  std::set<std::string> used;
  std::map<std::string, std::string> given;
  for (const auto& [k, v] : params) given[k] = v;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // quoted literal or identifier
      char q = c;
      std::size_t j = i + 1;
      while (j < n) {
        if (sql[j] == q) {
          if (j + 1 < n && sql[j + 1] == q) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      out.sql.append(sql, i, std::min(j + 1, n) - i);
      i = j + 1;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      std::size_t j = sql.find('\n', i);
      if (j == std::string::npos) j = n;
      out.sql.append(sql, i, j - i);
      i = j;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t j = sql.find("*/", i + 2);
      j = j == std::string::npos ? n : j + 2;
      out.sql.append(sql, i, j - i);
      i = j;
    } else if (c == '$') {  // dollar-quoted string $tag$...$tag$
      std::size_t j = i + 1;
      while (j < n && is_name(sql[j]) && !std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
      if (j < n && sql[j] == '$') {
        std::string tag = sql.substr(i, j - i + 1);
        std::size_t end = sql.find(tag, j + 1);
        end = end == std::string::npos ? n : end + tag.size();
        out.sql.append(sql, i, end - i);
        i = end;
      } else {
        out.sql += c;
        ++i;
      }
    } else if (c == ':' && i + 1 < n && sql[i + 1] == ':') {
      out.sql += "::";
      i += 2;
    } else if (c == ':' && i + 1 < n && is_name(sql[i + 1])) {
      std::size_t j = i + 1;
      while (j < n && is_name(sql[j])) ++j;
      std::string name = sql.substr(i + 1, j - i - 1);
      auto g = given.find(name);
      if (g == given.end()) {
        return Validation(
            fmt::format("Parameter \"{}\" is referenced in the SQL but was not provided.", name));
      }
      auto [it, inserted] = numbers.emplace(name, static_cast<int>(out.values.size()) + 1);
      if (inserted) out.values.emplace_back(g->second);
      used.insert(name);
      out.sql += "$" + std::to_string(it->second);
      i = j;
    } else {
      out.sql += c;
      ++i;
    }
  }
  for (const auto& [k, v] : given) {
    if (!used.count(k)) {
      return Validation(
          fmt::format("Parameter \"{}\" is provided but not referenced in the SQL.", k));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PgAccess
// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<PgConn>> PgAccess::ConnectSuperuser(const std::string& pg_database) {
  return PgConn::Connect(server_, pg_database, server_.superuser, server_.password);
}

Status PgAccess::EnsureRole(const Target& target, Secret& password_out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto known = role_passwords_.find(target.db_user);
  if (known != role_passwords_.end()) {
    password_out = known->second;
    return Status::Ok();
  }
  auto admin = SP_TRY(ConnectSuperuser(target.pg_database));
  PgResult exists = SP_TRY(
      admin->Exec("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1", {target.db_user}));
  if (exists.rows() == 0) {
    if (!target.create_user)
      return Status::Ok();  // the connection attempt reports the missing role
    Status created = admin->Run("CREATE ROLE " + QuoteSqlIdentifier(target.db_user) + " LOGIN");
    if (!created.ok() && created.detail() != "42710")
      return created;  // 42710: created concurrently
  } else if (exists.Get(0, 0) == "t") {
    // Never change a superuser's password (the emulator's own connection may depend on it).
    if (target.db_user == server_.superuser) password_out = server_.password;
    role_passwords_[target.db_user] = password_out;
    return Status::Ok();
  }
  // Temporary credentials: the emulator sets a random password for the role, as GetCredentials
  // and GetClusterCredentials issue a temporary one.
  std::uint8_t raw[18];
  random_.Fill(raw);
  Secret password(HexEncode(raw));
  SP_TRY(admin->Run("ALTER ROLE " + QuoteSqlIdentifier(target.db_user) + " LOGIN PASSWORD " +
                    QuoteLiteral(password.Reveal())));
  role_passwords_[target.db_user] = password;
  password_out = password;
  return Status::Ok();
}

Result<std::unique_ptr<PgConn>> PgAccess::Connect(const Target& target) {
  if (target.pg_database.empty()) {
    return Unavailable(fmt::format("FATAL: database \"{}\" does not exist", target.database));
  }
  Secret password = target.db_password;
  if (target.secret_arn.empty()) SP_TRY(EnsureRole(target, password));
  return PgConn::Connect(server_, target.pg_database, target.db_user, password);
}

// ---------------------------------------------------------------------------------------------
// StatementEngine
// ---------------------------------------------------------------------------------------------

StatementEngine::StatementEngine(const EmulatorConfig& config, const Clock& clock, Random& ids,
                                 PgAccess& pg, StatementLog& log, FaultInjector& faults)
    : config_(config), clock_(clock), ids_(ids), pg_(pg), log_(log), faults_(faults) {}

StatementEngine::~StatementEngine() {
  Stop();
}

void StatementEngine::Start() {
  for (int i = 0; i < config_.limits.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  sweeper_ = std::thread([this] { SweeperLoop(); });
}

void StatementEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, run] : running_) {
      run.cancel_requested = true;
      if (run.conn) run.conn->Cancel();
    }
  }
  work_cv_.notify_all();
  changed_cv_.notify_all();
  sweep_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (sweeper_.joinable()) sweeper_.join();
}

std::size_t StatementEngine::ActiveStatementsLocked() const {
  std::size_t n = 0;
  for (const auto& [id, st] : statements_) n += IsTerminal(st.status) ? 0 : 1;
  return n;
}

std::size_t StatementEngine::ActiveSessionsLocked() const {
  std::size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s.info.status == "CLOSED" ? 0 : 1;
  return n;
}

void StatementEngine::SetStatus(Statement& st, StatementStatus s) {
  st.status = s;
  st.updated_at = clock_.Now();
}

std::variant<Statement, ApiError> StatementEngine::Submit(SubmitRequest request) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    ApiError e{500, "InternalServerException", "The service is shutting down."};
    e.sender = false;
    return e;
  }
  if (!request.client_token.empty()) {
    auto it = client_tokens_.find({request.owner_arn, request.client_token});
    if (it != client_tokens_.end()) {
      auto st = statements_.find(it->second);
      if (st != statements_.end()) return st->second;
    }
  }
  if (ActiveStatementsLocked() >= static_cast<std::size_t>(config_.limits.max_active_statements)) {
    return ApiError{400, "ActiveStatementsExceededException",
                    fmt::format("Active statements exceeded the allowed quota ({}).",
                                config_.limits.max_active_statements)};
  }
  Statement st;
  st.id = NewUuid(ids_);
  st.owner_arn = request.owner_arn;
  st.session_arn = request.session_arn;
  st.statement_name = request.statement_name;
  st.client_token = request.client_token;
  st.parameters = request.parameters;
  st.is_batch = request.is_batch;
  st.transaction = request.transaction;
  st.result_format = request.result_format;
  st.target = request.target;
  st.created_at = st.updated_at = clock_.Now();

  if (!request.session_id.empty()) {
    auto it = sessions_.find(request.session_id);
    if (it == sessions_.end() || it->second.info.owner_arn != request.owner_arn ||
        it->second.info.status == "CLOSED") {
      return ApiError{400,
                      "ResourceNotFoundException",
                      fmt::format("Session {} does not exist or has expired.", request.session_id),
                      {{"ResourceId", request.session_id}}};
    }
    if (it->second.info.status == "BUSY") {
      return Validation(fmt::format("Session {} is busy running statement {}.", request.session_id,
                                    it->second.info.current_statement_id));
    }
    st.session_id = request.session_id;
    st.target = it->second.info.target;
  } else if (request.session_keep_alive_seconds && *request.session_keep_alive_seconds > 0) {
    if (ActiveSessionsLocked() >= static_cast<std::size_t>(config_.limits.max_active_sessions)) {
      return ApiError{400, "ActiveSessionsExceededException",
                      fmt::format("Active sessions exceeded the allowed quota ({}).",
                                  config_.limits.max_active_sessions)};
    }
    Session s;
    s.info.id = NewUuid(ids_);
    s.info.owner_arn = request.owner_arn;
    s.info.target = request.target;
    s.info.alive_seconds = *request.session_keep_alive_seconds;
    s.info.created_at = s.info.updated_at = st.created_at;
    s.info.ttl = st.created_at + std::chrono::seconds(s.info.alive_seconds);
    st.session_id = s.info.id;
    sessions_.emplace(s.info.id, std::move(s));
  }
  if (!st.session_id.empty()) {
    Session& s = sessions_.at(st.session_id);
    s.info.status = "BUSY";
    s.info.current_statement_id = st.id;
    s.info.updated_at = st.created_at;
    if (request.session_keep_alive_seconds)
      s.info.alive_seconds = *request.session_keep_alive_seconds;
  }
  for (std::size_t i = 0; i < request.sqls.size(); ++i) {
    SubStatement sub;
    sub.id = request.is_batch ? fmt::format("{}:{}", st.id, i + 1) : st.id;
    sub.sql = request.sqls[i];
    sub.created_at = sub.updated_at = st.created_at;
    st.subs.push_back(std::move(sub));
  }
  if (!request.client_token.empty())
    client_tokens_[{request.owner_arn, request.client_token}] = st.id;
  std::string id = st.id;
  auto [it, inserted] = statements_.emplace(id, std::move(st));
  queue_.push_back(id);
  Statement snapshot = it->second;
  lock.unlock();
  work_cv_.notify_one();
  return snapshot;
}

std::optional<Statement> StatementEngine::Find(const std::string& id, const std::string& owner_arn,
                                               std::chrono::milliseconds wait) {
  std::string base = id.substr(0, id.find(':'));
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    auto it = statements_.find(base);
    if (it == statements_.end() || it->second.owner_arn != owner_arn) return std::nullopt;
    if (IsTerminal(it->second.status) || stopping_ ||
        changed_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = statements_.find(base);
      if (it == statements_.end()) return std::nullopt;
      return it->second;
    }
  }
}

std::variant<bool, ApiError> StatementEngine::Cancel(const std::string& id,
                                                     const std::string& owner_arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = statements_.find(id);
  if (it == statements_.end() || it->second.owner_arn != owner_arn) {
    return ApiError{
        400, "ResourceNotFoundException", "Query does not exist.", {{"ResourceId", id}}};
  }
  Statement& st = it->second;
  if (IsTerminal(st.status)) {
    return Validation(fmt::format("Could not cancel a query that is already in {} state.",
                                  StatusName(st.status)));
  }
  auto run = running_.find(id);
  if (run != running_.end()) {
    run->second.cancel_requested = true;
    if (run->second.conn) run->second.conn->Cancel();
    return true;
  }
  // Still queued: it never starts.
  queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
  SetStatus(st, StatementStatus::kAborted);
  for (SubStatement& sub : st.subs) {
    sub.status = StatementStatus::kAborted;
    sub.updated_at = st.updated_at;
  }
  if (!st.session_id.empty()) {
    auto s = sessions_.find(st.session_id);
    if (s != sessions_.end() && s->second.info.status == "BUSY") {
      s->second.info.status = s->second.conn ? "AVAILABLE" : "CLOSED";
      s->second.info.current_statement_id.clear();
    }
  }
  changed_cv_.notify_all();
  return true;
}

std::vector<Statement> StatementEngine::List(const std::string& owner_arn) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Statement> out;
  for (const auto& [id, st] : statements_) {
    if (st.owner_arn == owner_arn) out.push_back(st);
  }
  std::sort(out.begin(), out.end(), [](const Statement& a, const Statement& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id < b.id;
  });
  return out;
}

std::vector<SessionInfo> StatementEngine::Sessions(const std::string& owner_arn) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SessionInfo> out;
  for (const auto& [id, s] : sessions_) {
    if (s.info.owner_arn == owner_arn) out.push_back(s.info);
  }
  std::sort(out.begin(), out.end(), [](const SessionInfo& a, const SessionInfo& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id < b.id;
  });
  return out;
}

void StatementEngine::WorkerLoop() {
  while (true) {
    std::string id;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
    }
    Execute(id);
  }
}

void StatementEngine::SweeperLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    sweep_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) return;
    lock.unlock();
    Sweep();
    lock.lock();
  }
}

void StatementEngine::Sweep() {
  std::vector<std::unique_ptr<PgConn>> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Clock::TimePoint now = clock_.Now();
    auto retention = std::chrono::seconds(config_.limits.result_retention_seconds);
    for (auto it = statements_.begin(); it != statements_.end();) {
      if (IsTerminal(it->second.status) && it->second.updated_at + retention < now) {
        if (!it->second.client_token.empty())
          client_tokens_.erase({it->second.owner_arn, it->second.client_token});
        it = statements_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      SessionInfo& info = it->second.info;
      if (info.status == "AVAILABLE" && info.ttl < now) {
        info.status = "CLOSED";
        info.updated_at = now;
        to_close.push_back(std::move(it->second.conn));
      }
      if (info.status == "CLOSED" && info.updated_at + retention < now) {
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Connections close outside the lock.
}

void StatementEngine::Execute(const std::string& id) {
  Target target;
  std::string session_id;
  std::vector<std::string> sqls;
  std::vector<std::pair<std::string, std::string>> params;
  bool batch = false, transaction = true;
  PgConn* session_conn = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = statements_.find(id);
    if (it == statements_.end() || it->second.status != StatementStatus::kSubmitted) return;
    Statement& st = it->second;
    SetStatus(st, StatementStatus::kPicked);
    for (SubStatement& s : st.subs) s.status = StatementStatus::kPicked;
    target = st.target;
    session_id = st.session_id;
    for (const SubStatement& s : st.subs) sqls.push_back(s.sql);
    params = st.parameters;
    batch = st.is_batch;
    transaction = st.transaction;
    if (!session_id.empty()) {
      auto s = sessions_.find(session_id);
      if (s != sessions_.end() && s->second.conn) session_conn = s->second.conn.get();
    }
    running_[id] = Running{};
  }
  changed_cv_.notify_all();

  std::unique_ptr<PgConn> owned;
  std::string connect_error;
  if (!session_conn) {
    auto conn = pg_.Connect(target);
    if (conn.ok()) {
      owned = std::move(conn.value());
    } else {
      connect_error = conn.status().message();
    }
  }
  PgConn* conn = session_conn ? session_conn : owned.get();
  auto start = clock_.Monotonic();

  std::vector<SubStatement> results(sqls.size());
  StatementStatus final_status = StatementStatus::kFinished;
  std::string final_error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Statement& st = statements_.at(id);
    if (conn) {
      SetStatus(st, StatementStatus::kStarted);
      for (SubStatement& s : st.subs) s.status = StatementStatus::kStarted;
      st.redshift_pid = conn->BackendPid();
      st.query_id = next_query_id_;
      next_query_id_ += static_cast<std::int64_t>(sqls.size());
      running_[id].conn = conn;
      if (running_[id].cancel_requested) final_status = StatementStatus::kAborted;
    }
  }
  changed_cv_.notify_all();

  if (!conn) {
    final_status = StatementStatus::kFailed;
    final_error = connect_error;
  } else if (final_status == StatementStatus::kFinished &&
             faults_.FailStatement(batch ? "BatchExecuteStatement" : "ExecuteStatement")) {
    final_status = StatementStatus::kFailed;
    final_error = "ERROR: Query failed: fault injected by the emulator";
  }
  // The event triggers installed with the catalog objects refuse the DDL of features Redshift
  // lacks only in sessions that say so: those of the Data API, never fixture setup on PostgreSQL.
  if (final_status == StatementStatus::kFinished && config_.limits.redshift_sql_rules) {
    Status ruled = conn->Run("SET emulator.redshift_sql_rules = on");
    if (!ruled.ok()) {
      final_status = StatementStatus::kFailed;
      final_error = ruled.message();
    }
  }

  bool in_transaction = false;
  if (final_status == StatementStatus::kFinished && batch && transaction && sqls.size() > 1) {
    Status begun = conn->Run("BEGIN");
    if (!begun.ok()) {
      final_status = StatementStatus::kFailed;
      final_error = begun.message();
    } else {
      in_transaction = true;
    }
  }
  bool cancelled_by_user = false;
  for (std::size_t i = 0; i < sqls.size(); ++i) {
    SubStatement& sub = results[i];
    if (final_status != StatementStatus::kFinished) {
      sub.status = final_status == StatementStatus::kFailed && i == 0 && !batch
                       ? StatementStatus::kFailed
                       : StatementStatus::kAborted;
      if (!batch) sub.error = final_error;
      continue;
    }
    auto t0 = clock_.Monotonic();
    std::string sql = RewriteRedshiftSql(sqls[i]);
    auto bound = BindParameters(sql, params);
    Result<PgResult> r = Status(Code::kInternal, "not run");
    if (const auto* b = std::get_if<BoundSql>(&bound)) {
      std::optional<std::string> refusal;
      if (config_.limits.redshift_sql_rules) {
        refusal = RedshiftRefusal(*conn, b->sql, static_cast<int>(b->values.size()));
      }
      // A cancel that came before the statement reached PostgreSQL (while it was being checked,
      // say) found nothing to interrupt there: honour it here, or the statement would run on.
      bool cancel_requested = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cancel_requested = running_[id].cancel_requested;
      }
      if (cancel_requested) {
        r = Status(Code::kCancelled, "cancelled before it started");
      } else {
        r = refusal ? Result<PgResult>(InvalidArgument(*refusal)) : conn->Exec(b->sql, b->values);
      }
    } else {
      r = InvalidArgument(std::get<ApiError>(bound).message);
    }
    sub.duration_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Monotonic() - t0).count();
    if (r.ok() && PQresultStatus(r->get()) == PGRES_TUPLES_OK) {
      auto rs = BuildResult(*conn, r->get());
      if (!rs.ok()) {
        r = rs.status();
      } else if (Status limits = CheckResultLimits(*rs, config_.limits); !limits.ok()) {
        r = limits;
      } else {
        sub.has_result_set = true;
        sub.result_rows = static_cast<std::int64_t>(rs->rows.size());
        sub.result_size = ResultBytes(*rs);
        sub.result = std::make_shared<const ResultSet>(std::move(rs.value()));
      }
    } else if (r.ok()) {
      std::string tuples = PQcmdTuples(r->get());
      sub.result_rows = tuples.empty() ? 0 : std::stoll(tuples);
    }
    if (!r.ok()) {
      bool cancelled = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cancelled = running_[id].cancel_requested;
      }
      cancelled_by_user = cancelled && r.status().code() == Code::kCancelled;
      sub.status = cancelled_by_user ? StatementStatus::kAborted : StatementStatus::kFailed;
      sub.error = cancelled_by_user ? "" : r.status().message();
      final_status = sub.status;
      final_error = sub.error;
      if (in_transaction) (void)conn->Run("ROLLBACK");
      in_transaction = false;
      continue;
    }
    sub.status = StatementStatus::kFinished;
  }
  if (in_transaction) {
    Status committed = conn->Run("COMMIT");
    if (!committed.ok()) {
      final_status = StatementStatus::kFailed;
      final_error = committed.message();
    }
  }
  if (cancelled_by_user) final_error.clear();
  auto duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Monotonic() - start).count();

  std::vector<StatementLogEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(id);
    Statement& st = statements_.at(id);
    Clock::TimePoint now = clock_.Now();
    st.duration_ns = duration;
    st.error = final_error;
    for (std::size_t i = 0; i < st.subs.size(); ++i) {
      SubStatement& sub = st.subs[i];
      sub.status = results[i].status;
      sub.error = results[i].error;
      sub.duration_ns = results[i].duration_ns;
      sub.result_rows = results[i].result_rows;
      sub.result_size = results[i].result_size;
      sub.has_result_set = results[i].has_result_set;
      sub.result = results[i].result;
      sub.query_id = st.query_id + static_cast<std::int64_t>(i);
      sub.updated_at = now;
      if (sub.status != StatementStatus::kAborted || conn) {
        entries.push_back(StatementLogEntry{FormatIso8601(now), sub.id, st.session_arn,
                                            target.db_user, target.database, sub.sql,
                                            std::string(StatusName(sub.status)), sub.error});
      }
    }
    SetStatus(st, final_status);
    if (!session_id.empty()) {
      auto s = sessions_.find(session_id);
      if (s != sessions_.end()) {
        if (!s->second.conn && owned) s->second.conn = std::move(owned);
        bool healthy = s->second.conn && s->second.conn->Healthy();
        s->second.info.status = healthy ? "AVAILABLE" : "CLOSED";
        s->second.info.current_statement_id.clear();
        s->second.info.updated_at = now;
        s->second.info.ttl = now + std::chrono::seconds(s->second.info.alive_seconds);
        if (!healthy) owned = std::move(s->second.conn);
      }
    }
  }
  for (StatementLogEntry& e : entries) log_.Add(std::move(e));
  changed_cv_.notify_all();
}

}  // namespace schemaport::emulator
