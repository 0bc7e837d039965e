// botocore service models and model-driven input validation.
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aws/internal.h"

namespace schemaport::aws {

using nlohmann::json;

struct ServiceModel::Impl {
  json doc;
  ServiceMetadata metadata;
  std::map<std::string, std::unique_ptr<icu::RegexPattern>, std::less<>> patterns;
};

namespace {

// Botocore patterns come from Smithy (ECMAScript semantics). ICU differs in two ways that matter
// here: `\w`/`\d` are Unicode-wide in ICU but ASCII in ECMAScript, and `\u10000` style escapes
// (more than 4 hex digits, meant as a code point) need ICU's `\x{...}`.
std::string TranslatePattern(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if (n == 'w') {
        out += in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
        ++i;
        continue;
      }
      if (n == 'd') {
        out += in_class ? "0-9" : "[0-9]";
        ++i;
        continue;
      }
      if (n == 'u') {
        size_t j = i + 2;
        while (j < p.size() && j - (i + 2) < 6 && std::isxdigit(static_cast<unsigned char>(p[j]))) {
          ++j;
        }
        const size_t digits = j - (i + 2);
        if (digits > 4) {
          out += "\\x{" + std::string(p.substr(i + 2, digits)) + "}";
          i = j - 1;
          continue;
        }
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (c == '[' && !in_class)
      in_class = true;
    else if (c == ']' && in_class)
      in_class = false;
    out += c;
  }
  return out;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string Plural(long long n, std::string_view unit) {
  return std::to_string(n) + " " + std::string(unit) + (n == 1 ? "" : "s");
}

class Validator {
 public:
  Validator(const ServiceModel::Impl& impl, std::vector<ValidationIssue>& issues)
      : impl_(impl), issues_(issues) {}

  void Check(const std::string& shape_name, const json& value, const std::string& path, int depth) {
    if (depth > 64) {
      Add(path, "is nested too deeply");
      return;
    }
    const json& shapes = impl_.doc["shapes"];
    const auto it = shapes.find(shape_name);
    if (it == shapes.end()) {
      Add(path, "has no model shape");
      return;
    }
    const json& shape = *it;
    const std::string type = shape.value("type", "");
    if (type == "structure") {
      CheckStructure(shape, value, path, depth);
    } else if (type == "list") {
      if (!value.is_array()) return Add(path, "must be a list");
      CheckSize(shape, static_cast<long long>(value.size()), path, "item");
      const std::string member = shape["member"]["shape"];
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i].is_null()) {
          Add(path + "[" + std::to_string(i) + "]", "must not be null");
          continue;
        }
        Check(member, value[i], path + "[" + std::to_string(i) + "]", depth + 1);
      }
    } else if (type == "map") {
      if (!value.is_object()) return Add(path, "must be a map");
      CheckSize(shape, static_cast<long long>(value.size()), path, "entry");
      const std::string key_shape = shape["key"]["shape"];
      const std::string value_shape = shape["value"]["shape"];
      for (const auto& [k, v] : value.items()) {
        Check(key_shape, json(k), path + " key", depth + 1);
        if (!v.is_null()) Check(value_shape, v, path + "." + k, depth + 1);
      }
    } else if (type == "string") {
      if (!value.is_string()) return Add(path, "must be a string");
      CheckString(shape, value.get_ref<const std::string&>(), path);
    } else if (type == "integer" || type == "long") {
      if (!value.is_number_integer()) return Add(path, "must be an integer");
      const bool is_int = type == "integer";
      long long v = 0;
      if (value.is_number_unsigned()) {
        if (value.get<unsigned long long>() > static_cast<unsigned long long>(INT64_MAX)) {
          return Add(path, "is out of range");
        }
      }
      v = value.get<long long>();
      if (is_int && (v < INT32_MIN || v > INT32_MAX)) return Add(path, "is out of range");
      CheckRange(shape, static_cast<double>(v), path);
    } else if (type == "double" || type == "float") {
      if (!value.is_number()) return Add(path, "must be a number");
      CheckRange(shape, value.get<double>(), path);
    } else if (type == "boolean") {
      if (!value.is_boolean()) Add(path, "must be a boolean");
    } else if (type == "timestamp") {
      if (value.is_number()) return;
      if (!value.is_string() || !ParseIso8601(value.get<std::string>()).ok()) {
        Add(path, "must be a timestamp (ISO-8601 text or epoch seconds)");
      }
    } else if (type == "blob") {
      if (!value.is_string() || !Base64Decode(value.get<std::string>()).ok()) {
        Add(path, "must be base64 text");
      }
    } else {
      Add(path, "has an unsupported model type");
    }
  }

 private:
  void Add(const std::string& path, std::string message) {
    issues_.push_back({path, std::move(message)});
  }

  void CheckStructure(const json& shape, const json& value, const std::string& path, int depth) {
    if (!value.is_object()) return Add(path.empty() ? "(input)" : path, "must be an object");
    const json& members = shape.contains("members") ? shape["members"] : json::object();
    const std::string prefix = path.empty() ? "" : path + ".";
    if (shape.contains("required")) {
      for (const auto& req : shape["required"]) {
        const std::string name = req;
        const auto f = value.find(name);
        if (f == value.end() || f->is_null()) Add(prefix + name, "is required");
      }
    }
    int set = 0;
    for (const auto& [name, v] : value.items()) {
      const auto m = members.find(name);
      if (m == members.end()) {
        std::string allowed;
        for (const auto& [mname, unused] : members.items()) {
          allowed += allowed.empty() ? "" : ", ";
          allowed += mname;
        }
        Add(prefix + name, "is not a known parameter (expected one of: " + allowed + ")");
        continue;
      }
      if (v.is_null()) continue;
      ++set;
      Check((*m)["shape"].get<std::string>(), v, prefix + name, depth + 1);
    }
    if (shape.value("union", false) && set != 1) {
      Add(path.empty() ? "(input)" : path, "must set exactly one member");
    }
  }

  void CheckSize(const json& shape, long long n, const std::string& path, std::string_view unit) {
    if (shape.contains("min") && n < shape["min"].get<long long>()) {
      Add(path, "must have at least " + Plural(shape["min"].get<long long>(), unit));
    }
    if (shape.contains("max") && n > shape["max"].get<long long>()) {
      Add(path, "must have at most " + Plural(shape["max"].get<long long>(), unit));
    }
  }

  void CheckRange(const json& shape, double v, const std::string& path) {
    auto text = [](const json& bound) {
      return bound.is_number_integer() ? std::to_string(bound.get<long long>()) : bound.dump();
    };
    if (shape.contains("min") && v < shape["min"].get<double>()) {
      Add(path, "must be at least " + text(shape["min"]));
    }
    if (shape.contains("max") && v > shape["max"].get<double>()) {
      Add(path, "must be at most " + text(shape["max"]));
    }
  }

  void CheckString(const json& shape, const std::string& s, const std::string& path) {
    const auto n = static_cast<long long>(CodePoints(s));
    if (shape.contains("min") && n < shape["min"].get<long long>()) {
      Add(path, "must be at least " + Plural(shape["min"].get<long long>(), "character") + " long");
    }
    if (shape.contains("max") && n > shape["max"].get<long long>()) {
      Add(path, "must be at most " + Plural(shape["max"].get<long long>(), "character") + " long");
    }
    if (shape.contains("enum")) {
      bool found = false;
      std::string allowed;
      for (const auto& e : shape["enum"]) {
        found = found || e.get_ref<const std::string&>() == s;
        allowed += allowed.empty() ? "" : ", ";
        allowed += e.get<std::string>();
      }
      if (!found) Add(path, "must be one of: " + allowed);
    }
    if (shape.contains("pattern")) {
      const std::string& pattern = shape["pattern"].get_ref<const std::string&>();
      const auto p = impl_.patterns.find(pattern);
      if (p == impl_.patterns.end()) return Add(path, "has an uncompiled pattern");
      UErrorCode status = U_ZERO_ERROR;
      const icu::UnicodeString text = icu::UnicodeString::fromUTF8(s);
      std::unique_ptr<icu::RegexMatcher> matcher(p->second->matcher(text, status));
      if (U_FAILURE(status) || !matcher->matches(status) || U_FAILURE(status)) {
        Add(path, "must match the pattern " + pattern);
      }
    }
  }

  const ServiceModel::Impl& impl_;
  std::vector<ValidationIssue>& issues_;
};

}  // namespace

Result<ServiceModel> ServiceModel::Load(std::string_view json_text) try {
  auto impl = std::make_shared<Impl>();
  impl->doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (impl->doc.is_discarded() || !impl->doc.is_object()) {
    return InvalidArgument("service model is not valid JSON");
  }
  const json& doc = impl->doc;
  if (!doc.contains("metadata") || !doc.contains("operations") || !doc.contains("shapes") ||
      !doc["metadata"].is_object() || !doc["operations"].is_object() ||
      !doc["shapes"].is_object()) {
    return InvalidArgument("service model lacks metadata, operations or shapes");
  }
  const json& md = doc["metadata"];
  auto str = [&](const char* key) {
    return md.contains(key) && md[key].is_string() ? md[key].get<std::string>() : std::string();
  };
  impl->metadata.service_id = str("serviceId");
  impl->metadata.api_version = str("apiVersion");
  impl->metadata.protocol = str("protocol");
  impl->metadata.json_version = str("jsonVersion");
  impl->metadata.target_prefix = str("targetPrefix");
  impl->metadata.endpoint_prefix = str("endpointPrefix");
  impl->metadata.signing_name = str("signingName");
  if (impl->metadata.signing_name.empty())
    impl->metadata.signing_name = impl->metadata.endpoint_prefix;
  if (impl->metadata.protocol.empty() || impl->metadata.endpoint_prefix.empty()) {
    return InvalidArgument("service model metadata lacks protocol or endpointPrefix");
  }
  // Check every shape reference and compile every pattern once.
  const json& shapes = doc["shapes"];
  auto known = [&](const json& ref) {
    return ref.is_object() && ref.contains("shape") && ref["shape"].is_string() &&
           shapes.contains(ref["shape"].get<std::string>());
  };
  for (const auto& [name, shape] : shapes.items()) {
    if (!shape.is_object() || !shape.contains("type")) {
      return InvalidArgument("service model shape " + name + " has no type");
    }
    if (shape.contains("members")) {
      for (const auto& [mname, m] : shape["members"].items()) {
        if (!known(m))
          return InvalidArgument("service model shape " + name + "." + mname + " is dangling");
      }
    }
    for (const char* key : {"member", "key", "value"}) {
      if (shape.contains(key) && !known(shape[key])) {
        return InvalidArgument("service model shape " + name + " has a dangling " + key);
      }
    }
    if (shape.contains("pattern")) {
      const std::string pattern = shape["pattern"];
      if (impl->patterns.count(pattern)) continue;
      UErrorCode status = U_ZERO_ERROR;
      UParseError perr{};
      std::unique_ptr<icu::RegexPattern> compiled(icu::RegexPattern::compile(
          icu::UnicodeString::fromUTF8(TranslatePattern(pattern)), 0, perr, status));
      if (U_FAILURE(status) || !compiled) {
        return InvalidArgument(
            "service model shape " + name + " has a pattern that does not compile",
            u_errorName(status));
      }
      impl->patterns.emplace(pattern, std::move(compiled));
    }
  }
  for (const auto& [name, op] : doc["operations"].items()) {
    if (op.contains("input") && !known(op["input"])) {
      return InvalidArgument("service model operation " + name + " has a dangling input");
    }
  }
  return ServiceModel(std::move(impl));
} catch (const json::exception& e) {
  return InvalidArgument("service model is malformed", e.what());
}

Result<ServiceModel> ServiceModel::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read service model file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Load(ss.str());
}

const ServiceMetadata& ServiceModel::metadata() const {
  return impl_->metadata;
}

const json& ServiceModel::document() const {
  return impl_->doc;
}

bool ServiceModel::HasOperation(std::string_view operation) const {
  return impl_->doc["operations"].contains(operation);
}

std::vector<std::string> ServiceModel::Operations() const {
  std::vector<std::string> out;
  for (const auto& [name, unused] : impl_->doc["operations"].items()) out.push_back(name);
  return out;
}

std::vector<ValidationIssue> ServiceModel::CheckInput(std::string_view operation,
                                                      const json& input) const {
  std::vector<ValidationIssue> issues;
  try {
    const json& ops = impl_->doc["operations"];
    const auto op = ops.find(operation);
    if (op == ops.end()) {
      issues.push_back({"", "unknown operation " + std::string(operation)});
      return issues;
    }
    if (!op->contains("input")) {
      if (!input.is_null() && !(input.is_object() && input.empty())) {
        issues.push_back({"(input)", "must be empty"});
      }
      return issues;
    }
    Validator(*impl_, issues)
        .Check((*op)["input"]["shape"], input.is_null() ? json::object() : input, "", 0);
  } catch (const json::exception&) {
    issues.push_back({"", "the service model cannot check this input"});
  }
  return issues;
}

Status ServiceModel::ValidateInput(std::string_view operation, const json& input) const {
  const auto issues = CheckInput(operation, input);
  if (issues.empty()) return Status::Ok();
  std::string message;
  for (const auto& issue : issues) {
    if (!message.empty()) message += "; ";
    message += issue.path.empty() ? issue.message : issue.ToString();
  }
  return InvalidArgument(message);
}

std::optional<int> ServiceModel::ErrorHttpStatus(std::string_view error_code) const try {
  const json& shapes = impl_->doc["shapes"];
  const auto s = shapes.find(error_code);
  if (s == shapes.end() || !s->value("exception", false)) {
    // Query services name the code in the "error" trait ("code"), which may differ.
    for (const auto& [name, shape] : shapes.items()) {
      if (shape.contains("error") && shape["error"].value("code", "") == error_code) {
        return shape["error"].contains("httpStatusCode")
                   ? std::optional<int>(shape["error"]["httpStatusCode"].get<int>())
                   : std::nullopt;
      }
    }
    return std::nullopt;
  }
  if (s->contains("error") && (*s)["error"].contains("httpStatusCode")) {
    return (*s)["error"]["httpStatusCode"].get<int>();
  }
  return std::nullopt;
} catch (const json::exception&) {
  return std::nullopt;
}

}  // namespace schemaport::aws
