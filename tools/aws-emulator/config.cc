#include "config.h"

#include <toml++/toml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace schemaport::emulator {
namespace {

// Reads typed values out of one TOML table, recording unknown keys and type errors.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where)
      : table_(table), where_(std::move(where)) {}

  Status String(std::string_view key, std::string& out, bool required = false) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return required ? Missing(key) : Status::Ok();
    auto v = node->value<std::string>();
    if (!node->is_string() || !v) return Wrong(key, "a string");
    out = *v;
    return Status::Ok();
  }
  Status SecretValue(std::string_view key, Secret& out, bool required = false) {
    std::string s;
    SP_TRY(String(key, s, required));
    if (table_.get(key)) out = Secret(std::move(s));
    return Status::Ok();
  }
  Status Int(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return Status::Ok();
    if (!node->is_integer()) return Wrong(key, "an integer");
    std::int64_t v = *node->value<std::int64_t>();
    if (v < min || v > max) {
      return InvalidArgument(
          fmt::format("{}: {}: must be between {} and {}", where_, key, min, max));
    }
    out = v;
    return Status::Ok();
  }
  Status Int(std::string_view key, int& out, int min, int max) {
    std::int64_t v = out;
    SP_TRY(Int(key, v, min, max));
    out = static_cast<int>(v);
    return Status::Ok();
  }
  Status Double(std::string_view key, double& out, double min, double max) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return Status::Ok();
    if (!node->is_number()) return Wrong(key, "a number");
    double v = *node->value<double>();
    if (v < min || v > max) {
      return InvalidArgument(
          fmt::format("{}: {}: must be between {} and {}", where_, key, min, max));
    }
    out = v;
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool& out) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return Status::Ok();
    if (!node->is_boolean()) return Wrong(key, "a boolean");
    out = *node->value<bool>();
    return Status::Ok();
  }
  Status StringList(std::string_view key, std::vector<std::string>& out) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return Status::Ok();
    const toml::array* arr = node->as_array();
    if (!arr) return Wrong(key, "an array of strings");
    for (const toml::node& item : *arr) {
      auto v = item.value<std::string>();
      if (!item.is_string() || !v) return Wrong(key, "an array of strings");
      out.push_back(*v);
    }
    return Status::Ok();
  }
  const toml::table* Table(std::string_view key) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    return node ? node->as_table() : nullptr;
  }
  const toml::array* Array(std::string_view key) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    return node ? node->as_array() : nullptr;
  }
  bool Has(std::string_view key) const { return table_.get(key) != nullptr; }
  // Every key must have been read.
  Status CheckUnknown() const {
    for (const auto& [k, v] : table_) {
      if (!seen_.count(std::string(k.str()))) {
        return InvalidArgument(fmt::format("{}: unknown key \"{}\"", where_, k.str()));
      }
    }
    return Status::Ok();
  }
  const std::string& where() const { return where_; }

 private:
  Status Missing(std::string_view key) const {
    return InvalidArgument(fmt::format("{}: {}: required", where_, key));
  }
  Status Wrong(std::string_view key, std::string_view type) const {
    return InvalidArgument(fmt::format("{}: {}: must be {}", where_, key, type));
  }
  const toml::table& table_;
  std::string where_;
  std::set<std::string> seen_;
};

Status ReadFaultSpec(const toml::table& t, const std::string& where, FaultSpec& spec,
                     bool allow_operations) {
  TableReader r(t, where);
  if (allow_operations) (void)r.Table("operations");
  SP_TRY(r.Int("latency_ms", spec.latency_ms, 0, 600000));
  SP_TRY(r.Int("jitter_ms", spec.jitter_ms, 0, 600000));
  SP_TRY(r.Double("throttle", spec.throttle, 0, 1));
  SP_TRY(r.Double("error_500", spec.error_500, 0, 1));
  SP_TRY(r.Double("error_503", spec.error_503, 0, 1));
  SP_TRY(r.Double("drop", spec.drop, 0, 1));
  SP_TRY(r.Double("statement_fail", spec.statement_fail, 0, 1));
  return r.CheckUnknown();
}

Status ReadWarehouses(TableReader& root, std::string_view key, std::string_view name_key,
                      std::vector<WarehouseConfig>& out) {
  const toml::array* arr = root.Array(key);
  if (!arr) {
    if (root.Has(key))
      return InvalidArgument(fmt::format("{}: {}: must be an array of tables", root.where(), key));
    return Status::Ok();
  }
  static const std::regex kWorkgroupName("[a-z0-9-]{3,63}");
  static const std::regex kClusterId("[a-z][a-z0-9]*(-[a-z0-9]+)*");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    std::string where = fmt::format("{}: {}[{}]", root.where(), key, i);
    if (!t) return InvalidArgument(where + ": must be a table");
    TableReader r(*t, where);
    WarehouseConfig w;
    SP_TRY(r.String(name_key, w.name, true));
    SP_TRY(r.String("id", w.id));
    bool serverless = key == "workgroups";
    if (!std::regex_match(w.name, serverless ? kWorkgroupName : kClusterId) || w.name.size() > 63) {
      return InvalidArgument(fmt::format("{}: {}: \"{}\" is not a valid {}", where, name_key,
                                         w.name,
                                         serverless ? "workgroup name" : "cluster identifier"));
    }
    const toml::table* dbs = r.Table("databases");
    if (!dbs)
      return InvalidArgument(where + ": databases: required table of name = \"postgres database\"");
    for (const auto& [name, node] : *dbs) {
      auto v = node.value<std::string>();
      if (!node.is_string() || !v || v->empty()) {
        return InvalidArgument(
            fmt::format("{}: databases.{}: must be a PostgreSQL database name", where, name.str()));
      }
      w.databases[std::string(name.str())] = *v;
    }
    SP_TRY(r.CheckUnknown());
    out.push_back(std::move(w));
  }
  return Status::Ok();
}

Status FromTable(const toml::table& root_table, std::string_view source, EmulatorConfig& c) {
  TableReader root(root_table, std::string(source));
  SP_TRY(root.String("account_id", c.account_id));
  if (!std::regex_match(c.account_id, std::regex("[0-9]{12}"))) {
    return InvalidArgument(fmt::format("{}: account_id: must be 12 digits", source));
  }
  SP_TRY(root.String("region", c.region));
  std::int64_t seed = static_cast<std::int64_t>(c.seed);
  SP_TRY(root.Int("seed", seed, 0, INT64_MAX));
  c.seed = static_cast<std::uint64_t>(seed);

  if (const toml::table* t = root.Table("server")) {
    TableReader r(*t, fmt::format("{}: server", source));
    SP_TRY(r.String("host", c.server.host));
    SP_TRY(r.Int("port", c.server.port, 0, 65535));
    SP_TRY(r.Int("admin_port", c.server.admin_port, 0, 65535));
    SP_TRY(r.String("tls_cert", c.server.tls_cert));
    SP_TRY(r.String("tls_key", c.server.tls_key));
    SP_TRY(r.String("statement_log", c.server.statement_log));
    SP_TRY(r.CheckUnknown());
    if (c.server.tls_cert.empty() != c.server.tls_key.empty()) {
      return InvalidArgument(fmt::format("{}: server: tls_cert and tls_key go together", source));
    }
  }
  if (const toml::table* t = root.Table("postgres")) {
    TableReader r(*t, fmt::format("{}: postgres", source));
    SP_TRY(r.String("host", c.postgres.host));
    SP_TRY(r.Int("port", c.postgres.port, 1, 65535));
    SP_TRY(r.String("superuser", c.postgres.superuser));
    SP_TRY(r.SecretValue("password", c.postgres.password));
    SP_TRY(r.CheckUnknown());
  }
  if (const toml::table* t = root.Table("limits")) {
    TableReader r(*t, fmt::format("{}: limits", source));
    LimitsConfig& l = c.limits;
    SP_TRY(r.Int("result_page_rows", l.result_page_rows, 1, 1000000));
    SP_TRY(r.Int("result_page_bytes", l.result_page_bytes, 1024, std::int64_t{1} << 40));
    SP_TRY(r.Int("max_row_bytes", l.max_row_bytes, 1, std::int64_t{1} << 40));
    SP_TRY(r.Int("max_result_bytes", l.max_result_bytes, 1, std::int64_t{1} << 40));
    SP_TRY(r.Bool("redshift_sql_rules", l.redshift_sql_rules));
    if (const toml::table* rates = r.Table("rates_per_second")) {
      const std::string where = fmt::format("{}: limits.rates_per_second", source);
      for (const auto& [op, node] : *rates) {
        if (!node.is_number())
          return InvalidArgument(fmt::format("{}: {}: must be a number", where, op.str()));
        const double v = *node.value<double>();
        if (v < 0 || v > 1e6) {
          return InvalidArgument(
              fmt::format("{}: {}: must be between 0 (unlimited) and 1000000", where, op.str()));
        }
        if (v == 0) {
          l.rates_per_second.erase(std::string(op.str()));
        } else {
          l.rates_per_second[std::string(op.str())] = v;
        }
      }
    }
    SP_TRY(r.Int("list_page_size", l.list_page_size, 1, 100));
    SP_TRY(r.Int("metadata_page_size", l.metadata_page_size, 1, 1000));
    SP_TRY(r.Int("describe_table_page_columns", l.describe_table_page_columns, 1, 1000));
    SP_TRY(r.Int("result_retention_seconds", l.result_retention_seconds, 1, 7 * 86400));
    SP_TRY(r.Int("max_active_statements", l.max_active_statements, 1, 100000));
    SP_TRY(r.Int("max_active_sessions", l.max_active_sessions, 1, 100000));
    SP_TRY(r.Int("max_sql_bytes", l.max_sql_bytes, 1, 100 * 1024 * 1024));
    SP_TRY(r.Int("workers", l.workers, 1, 256));
    SP_TRY(r.Int("clock_skew_seconds", l.clock_skew_seconds, 1, 86400));
    SP_TRY(r.CheckUnknown());
  }
  if (const toml::table* t = root.Table("faults")) {
    std::string where = fmt::format("{}: faults", source);
    SP_TRY(ReadFaultSpec(*t, where, c.faults.global, /*allow_operations=*/true));
    if (const toml::node* ops = t->get("operations")) {
      const toml::table* ot = ops->as_table();
      if (!ot) return InvalidArgument(where + ": operations: must be a table");
      for (const auto& [op, node] : *ot) {
        const toml::table* spec = node.as_table();
        std::string w = fmt::format("{}.operations.{}", where, op.str());
        if (!spec) return InvalidArgument(w + ": must be a table");
        FaultSpec fs;
        SP_TRY(ReadFaultSpec(*spec, w, fs, /*allow_operations=*/false));
        c.faults.operations[std::string(op.str())] = fs;
      }
    }
  }
  if (const toml::array* arr = root.Array("users")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string where = fmt::format("{}: users[{}]", source, i);
      const toml::table* t = (*arr)[i].as_table();
      if (!t) return InvalidArgument(where + ": must be a table");
      TableReader r(*t, where);
      UserConfig u;
      SP_TRY(r.String("name", u.name, true));
      SP_TRY(r.String("access_key_id", u.access_key_id, true));
      SP_TRY(r.SecretValue("secret_access_key", u.secret_access_key, true));
      SP_TRY(r.StringList("allow", u.allow));
      SP_TRY(r.CheckUnknown());
      if (!std::regex_match(u.access_key_id, std::regex("AKIA[A-Z0-9]{12,124}"))) {
        return InvalidArgument(
            where +
            ": access_key_id: must look like AKIA followed by 12+ uppercase letters or digits");
      }
      c.users.push_back(std::move(u));
    }
  }
  if (const toml::array* arr = root.Array("roles")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string where = fmt::format("{}: roles[{}]", source, i);
      const toml::table* t = (*arr)[i].as_table();
      if (!t) return InvalidArgument(where + ": must be a table");
      TableReader r(*t, where);
      RoleConfig role;
      SP_TRY(r.String("name", role.name, true));
      SP_TRY(r.StringList("trust", role.trust));
      SP_TRY(r.String("external_id", role.external_id));
      SP_TRY(r.StringList("allow", role.allow));
      SP_TRY(r.Int("max_session_duration", role.max_session_duration, 900, 43200));
      SP_TRY(r.CheckUnknown());
      c.roles.push_back(std::move(role));
    }
  }
  SP_TRY(ReadWarehouses(root, "workgroups", "name", c.workgroups));
  SP_TRY(ReadWarehouses(root, "clusters", "identifier", c.clusters));
  if (const toml::array* arr = root.Array("secrets")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string where = fmt::format("{}: secrets[{}]", source, i);
      const toml::table* t = (*arr)[i].as_table();
      if (!t) return InvalidArgument(where + ": must be a table");
      TableReader r(*t, where);
      SecretConfig s;
      SP_TRY(r.String("name", s.name, true));
      SP_TRY(r.String("secret_string", s.secret_string, true));
      SP_TRY(r.String("description", s.description));
      SP_TRY(r.CheckUnknown());
      c.secrets.push_back(std::move(s));
    }
  }
  SP_TRY(root.CheckUnknown());

  std::set<std::string> keys;
  for (const UserConfig& u : c.users) {
    if (!keys.insert(u.access_key_id).second) {
      return InvalidArgument(
          fmt::format("{}: users: access key {} is used twice", source, u.access_key_id));
    }
  }
  return Status::Ok();
}

}  // namespace

std::map<std::string, double> DefaultDataApiQuotas() {
  return {{"BatchExecuteStatement", 20}, {"CancelStatement", 10},  {"DescribeStatement", 100},
          {"DescribeTable", 3},          {"ExecuteStatement", 30}, {"GetStatementResult", 20},
          {"GetStatementResultV2", 20},  {"ListDatabases", 3},     {"ListSchemas", 3},
          {"ListStatements", 3},         {"ListTables", 3}};
}

Status ApplyFaultField(FaultSpec& spec, std::string_view key, double value) {
  auto prob = [&](double& field) -> Status {
    if (!(value >= 0 && value <= 1)) {
      return InvalidArgument(fmt::format("{}: must be between 0 and 1", key));
    }
    field = value;
    return Status::Ok();
  };
  auto ms = [&](std::int64_t& field) -> Status {
    if (!(value >= 0 && value <= 600000)) {
      return InvalidArgument(fmt::format("{}: must be between 0 and 600000", key));
    }
    field = static_cast<std::int64_t>(value);
    return Status::Ok();
  };
  if (key == "latency_ms") return ms(spec.latency_ms);
  if (key == "jitter_ms") return ms(spec.jitter_ms);
  if (key == "throttle") return prob(spec.throttle);
  if (key == "error_500") return prob(spec.error_500);
  if (key == "error_503") return prob(spec.error_503);
  if (key == "drop") return prob(spec.drop);
  if (key == "statement_fail") return prob(spec.statement_fail);
  return InvalidArgument(fmt::format("unknown fault key \"{}\"", key));
}

Result<EmulatorConfig> ParseEmulatorConfig(std::string_view toml_text,
                                           std::string_view source_name) {
  EmulatorConfig config;
  try {
    toml::table root = toml::parse(toml_text, source_name);
    SP_TRY(FromTable(root, source_name, config));
  } catch (const toml::parse_error& e) {
    return InvalidArgument(
        fmt::format("{}:{}: {}", source_name, e.source().begin.line, e.description()));
  }
  return config;
}

Result<EmulatorConfig> LoadEmulatorConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(fmt::format("cannot read config file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseEmulatorConfig(ss.str(), path);
}

}  // namespace schemaport::emulator
