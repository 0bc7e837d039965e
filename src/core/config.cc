#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/core.h"

extern char** environ;

namespace schemaport {

ConfigSchema& ConfigSchema::String(std::string name, std::string default_value, std::string help,
                                   std::vector<std::string> choices) {
  keys_.push_back(Key{std::move(name), Type::kString, std::move(help), std::nullopt, std::nullopt,
                      std::move(choices), std::move(default_value)});
  return *this;
}

ConfigSchema& ConfigSchema::Int(std::string name, std::int64_t default_value, std::int64_t min,
                                std::int64_t max, std::string help) {
  keys_.push_back(Key{
      std::move(name), Type::kInt, std::move(help), min, max, {}, std::to_string(default_value)});
  return *this;
}

ConfigSchema& ConfigSchema::Bool(std::string name, bool default_value, std::string help) {
  keys_.push_back(Key{std::move(name),
                      Type::kBool,
                      std::move(help),
                      std::nullopt,
                      std::nullopt,
                      {},
                      default_value ? "true" : "false"});
  return *this;
}

ConfigSchema& ConfigSchema::SecretKey(std::string name, std::string help) {
  keys_.push_back(
      Key{std::move(name), Type::kSecret, std::move(help), std::nullopt, std::nullopt, {}, ""});
  return *this;
}

const ConfigSchema::Key* ConfigSchema::Find(std::string_view name) const {
  for (const Key& k : keys_) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

namespace {
std::string EnvName(std::string_view key) {
  std::string out = "SCHEMAPORT_";
  for (char c : key) {
    out += (c == '.' || c == '-') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

const char* TypeName(ConfigSchema::Type t) {
  switch (t) {
    case ConfigSchema::Type::kString: return "a string";
    case ConfigSchema::Type::kInt: return "an integer";
    case ConfigSchema::Type::kBool: return "a boolean (true or false)";
    case ConfigSchema::Type::kSecret: return "a string";
  }
  return "a value";
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i) out += ", ";
    out += '"' + choices[i] + '"';
  }
  return out;
}
}  // namespace

// Builds a Config; all checks produce messages "<where>: <key>: <problem>".
class ConfigLoader {
 public:
  explicit ConfigLoader(const ConfigSchema& schema) : schema_(schema) {
    for (const auto& key : schema.keys()) {
      Config::Value v;
      v.origin = "default";
      switch (key.type) {
        case ConfigSchema::Type::kInt: v.v = std::stoll(key.default_value); break;
        case ConfigSchema::Type::kBool: v.v = key.default_value == "true"; break;
        default: v.v = key.default_value; break;
      }
      config_.values_[key.name] = std::move(v);
    }
  }

  Status FromToml(const toml::table& root, std::string_view source) {
    return Walk(root, "", source);
  }

  Status FromEnvironment(const Environment& env) {
    // Unknown SCHEMAPORT_* variables are errors too: a typo must not be silently ignored.
    std::map<std::string, const ConfigSchema::Key*, std::less<>> by_env;
    for (const auto& key : schema_.keys()) by_env[EnvName(key.name)] = &key;
    for (const auto& [name, text] : env) {
      if (name.rfind("SCHEMAPORT_", 0) != 0) continue;
      auto it = by_env.find(name);
      if (it == by_env.end()) {
        if (IgnoredEnv(name)) continue;
        return InvalidArgument("environment " + name + ": unknown setting" + Suggest(name));
      }
      const auto& key = *it->second;
      const std::string where = "environment " + name;
      Config::Value v;
      v.origin = "env " + name;
      v.explicitly_set = true;
      switch (key.type) {
        case ConfigSchema::Type::kString:
        case ConfigSchema::Type::kSecret: v.v = text; break;
        case ConfigSchema::Type::kInt: {
          std::int64_t n = 0;
          auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
          if (ec != std::errc() || p != text.data() + text.size()) {
            return InvalidArgument(where + ": " + key.name + ": expected " + TypeName(key.type) +
                                   Shown(key, text));
          }
          v.v = n;
          break;
        }
        case ConfigSchema::Type::kBool:
          if (text == "true" || text == "1") {
            v.v = true;
          } else if (text == "false" || text == "0") {
            v.v = false;
          } else {
            return InvalidArgument(where + ": " + key.name + ": expected true or false" +
                                   Shown(key, text));
          }
          break;
      }
      SP_TRY(CheckRange(key, v, where));
      config_.values_[key.name] = std::move(v);
    }
    return Status::Ok();
  }

  Config Take() { return std::move(config_); }

 private:
  static bool IgnoredEnv(std::string_view name) {
    // Variables that belong to tooling, not to the config file.
    // The CLI client's own variables (docs/cli.md) may be set while the server is configured.
    return name.rfind("SCHEMAPORT_TEST_", 0) == 0 || name == "SCHEMAPORT_SOURCE_DIR" ||
           name == "SCHEMAPORT_BIN_DIR" || name == "SCHEMAPORT_KEEP_TMP" ||
           name == "SCHEMAPORT_SERVER" || name == "SCHEMAPORT_TOKEN" ||
           name == "SCHEMAPORT_CA_FILE" || name == "SCHEMAPORT_CLI_CONFIG";
  }

  static std::string Shown(const ConfigSchema::Key& key, std::string_view text) {
    if (key.type == ConfigSchema::Type::kSecret) return "";
    return " (got '" + std::string(text.substr(0, 64)) + "')";
  }

  std::string Suggest(std::string_view unknown) const {
    // Name the closest known key when one shares the same last segment or prefix.
    std::string best;
    for (const auto& k : schema_.keys()) {
      const std::string env = EnvName(k.name);
      const std::string cand = unknown.rfind("SCHEMAPORT_", 0) == 0 ? env : k.name;
      auto last = [](std::string_view s) {
        auto p = s.find_last_of("._");
        return p == std::string_view::npos ? s : s.substr(p + 1);
      };
      if (last(cand) == last(unknown)) best = cand;
    }
    return best.empty() ? "" : " (did you mean " + best + "?)";
  }

  Status CheckRange(const ConfigSchema::Key& key, const Config::Value& v,
                    const std::string& where) {
    if (key.type == ConfigSchema::Type::kInt) {
      const std::int64_t n = std::get<std::int64_t>(v.v);
      if ((key.min && n < *key.min) || (key.max && n > *key.max)) {
        return InvalidArgument(where + ": " + key.name + ": " + std::to_string(n) +
                               " is out of range [" + std::to_string(*key.min) + ", " +
                               std::to_string(*key.max) + "]");
      }
    }
    if (key.type == ConfigSchema::Type::kString && !key.choices.empty()) {
      const auto& s = std::get<std::string>(v.v);
      if (std::find(key.choices.begin(), key.choices.end(), s) == key.choices.end()) {
        return InvalidArgument(where + ": " + key.name + ": '" + s.substr(0, 64) +
                               "' is not one of " + JoinChoices(key.choices));
      }
    }
    return Status::Ok();
  }

  Status Walk(const toml::table& table, const std::string& prefix, std::string_view source) {
    for (const auto& [k, node] : table) {
      const std::string name =
          prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      const std::string where =
          std::string(source) + ":" + std::to_string(node.source().begin.line);
      if (const toml::table* sub = node.as_table()) {
        bool is_prefix = false;
        for (const auto& key : schema_.keys()) {
          if (key.name.rfind(name + ".", 0) == 0) is_prefix = true;
        }
        if (!is_prefix)
          return InvalidArgument(where + ": " + name + ": unknown section" + Suggest(name));
        SP_TRY(Walk(*sub, name, source));
        continue;
      }
      const ConfigSchema::Key* key = schema_.Find(name);
      if (key == nullptr)
        return InvalidArgument(where + ": " + name + ": unknown key" + Suggest(name));
      Config::Value v;
      v.origin = where;
      v.explicitly_set = true;
      switch (key->type) {
        case ConfigSchema::Type::kString:
        case ConfigSchema::Type::kSecret:
          if (!node.is_string()) {
            return InvalidArgument(where + ": " + name + ": expected " + TypeName(key->type) +
                                   ", got " + NodeType(node));
          }
          v.v = std::string(*node.value<std::string_view>());
          break;
        case ConfigSchema::Type::kInt:
          if (!node.is_integer()) {
            return InvalidArgument(where + ": " + name + ": expected " + TypeName(key->type) +
                                   ", got " + NodeType(node));
          }
          v.v = *node.value<std::int64_t>();
          break;
        case ConfigSchema::Type::kBool:
          if (!node.is_boolean()) {
            return InvalidArgument(where + ": " + name + ": expected " + TypeName(key->type) +
                                   ", got " + NodeType(node));
          }
          v.v = *node.value<bool>();
          break;
      }
      SP_TRY(CheckRange(*key, v, where));
      config_.values_[key->name] = std::move(v);
    }
    return Status::Ok();
  }

  static std::string NodeType(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date or time";
    }
  }

  const ConfigSchema& schema_;
  Config config_;
};

Result<Config> LoadConfigFromString(std::string_view toml_text, std::string_view source_name,
                                    const ConfigSchema& schema, const Environment& env) {
  ConfigLoader loader(schema);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(source_name));
  } catch (const toml::parse_error& e) {
    return InvalidArgument(std::string(source_name) + ":" + std::to_string(e.source().begin.line) +
                           ": syntax error: " + std::string(e.description()));
  }
  SP_TRY(loader.FromToml(root, source_name));
  SP_TRY(loader.FromEnvironment(env));
  return loader.Take();
}

Result<Config> LoadConfig(const std::string& path, const ConfigSchema& schema,
                          const Environment& env) {
  if (path.empty()) return LoadConfigFromString("", "(defaults)", schema, env);
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot open the configuration file");
  std::stringstream buf;
  buf << in.rdbuf();
  return LoadConfigFromString(buf.str(), path, schema, env);
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::string Config::GetString(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string() : std::get<std::string>(it->second.v);
}
std::int64_t Config::GetInt(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? 0 : std::get<std::int64_t>(it->second.v);
}
bool Config::GetBool(std::string_view key) const {
  auto it = values_.find(key);
  return it != values_.end() && std::get<bool>(it->second.v);
}
Secret Config::GetSecret(std::string_view key) const {
  return Secret(GetString(key));
}
bool Config::IsSet(std::string_view key) const {
  auto it = values_.find(key);
  return it != values_.end() && it->second.explicitly_set;
}
std::string Config::Origin(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string("unknown") : it->second.origin;
}

}  // namespace schemaport
