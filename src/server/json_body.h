// Internal to src/server: strict reading of JSON request bodies. Every error is kInvalidArgument
// with a message that names the field ("settings.region: expected a string", "foo: unknown
// field", "request body: malformed JSON at byte 12").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace schemaport::server::internal {

// A parsed JSON object body. REQUIRES: `Only` is called before the getters, so unknown fields
// are rejected whatever the route reads.
class JsonBody {
 public:
  // Parses `text` as one JSON object. An empty `text` is {} when `empty_ok`, else an error.
  static Result<JsonBody> Parse(std::string_view text, bool empty_ok);

  // kInvalidArgument naming the first field not in `allowed`.
  Status Only(std::initializer_list<std::string_view> allowed) const;

  bool Has(std::string_view key) const;
  // A required string ("email: is required", "email: expected a string").
  Result<std::string> String(std::string_view key) const;
  // An optional string (absent -> nullopt; null is a type error).
  Result<std::optional<std::string>> OptString(std::string_view key) const;
  Result<Secret> SecretField(std::string_view key) const;
  // A required member that is a string or null (null -> nullopt).
  Result<std::optional<std::string>> NullableString(std::string_view key) const;
  // An optional integer in [min, max].
  Result<std::optional<std::int64_t>> OptInt(std::string_view key, std::int64_t min,
                                             std::int64_t max) const;
  // An optional object of string values (absent -> nullopt).
  Result<std::optional<std::map<std::string, std::string>>> OptStringMap(
      std::string_view key) const;
  // An optional array of strings (absent -> empty).
  Result<std::vector<std::string>> StringArray(std::string_view key, std::size_t max_items) const;
  // An optional array of objects; each is checked to be an object (absent -> empty).
  Result<std::vector<JsonBody>> ObjectArray(std::string_view key, std::size_t max_items) const;

 private:
  JsonBody(nlohmann::json value, std::string path)
      : value_(std::move(value)), path_(std::move(path)) {}
  std::string FieldName(std::string_view key) const;
  nlohmann::json value_;
  std::string path_;  // "" for the body, "tables[3]" for a nested object
};

// Dumps JSON for a response; invalid UTF-8 (never expected) is replaced, not thrown.
std::string Dump(const nlohmann::json& value);

// JSON text written directly, for the reply served most often (one saved table), where building
// a nlohmann::json tree and dumping it cost more than the rest of the request. The text equals
// Dump() of the same value when object keys are written in sorted order (nlohmann keeps them
// sorted). Only plain ASCII strings are written: any other byte makes ok() false, and the caller
// answers with Dump() instead (its UTF-8 checks stay the one rule).
class JsonText {
 public:
  JsonText& BeginObject();
  JsonText& EndObject();
  JsonText& BeginArray();
  JsonText& EndArray();
  JsonText& Key(std::string_view key);
  JsonText& String(std::string_view value);
  JsonText& OptString(const std::optional<std::string>& value);  // null when absent
  JsonText& Int(std::int64_t value);
  JsonText& Bool(bool value);
  JsonText& Null();
  bool ok() const { return ok_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();  // a comma before a value or key that follows another one
  void Quoted(std::string_view s);
  std::string out_;
  bool ok_ = true;
};

}  // namespace schemaport::server::internal
