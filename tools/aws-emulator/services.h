// The emulated AWS operations, protocol-independent: each takes the verified caller and the
// decoded input, and returns the output (JSON for awsJson1_1 services, XML result elements for
// awsQuery services) or an AWS-shaped error.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <variant>

#include "api.h"
#include "config.h"
#include "iam.h"
#include "statements.h"

namespace schemaport::emulator {

using JsonReply = std::variant<nlohmann::json, ApiError>;
// For awsQuery: the inner XML of <ActionResult>.
using XmlReply = std::variant<std::string, ApiError>;

std::string XmlEscape(std::string_view text);
// JSON 1.1 timestamps are epoch seconds.
double EpochSeconds(Clock::TimePoint t);

// Secrets Manager secrets with versions and staging labels. Thread-safe.
class SecretsStore {
 public:
  struct Version {
    std::string id;
    std::string value;
    std::vector<std::string> stages;
    Clock::TimePoint created;
  };
  struct SecretRecord {
    std::string name;
    std::string arn;
    std::string description;
    Clock::TimePoint created;
    std::vector<Version> versions;
  };

  SecretsStore(const EmulatorConfig& config, const Clock& clock, Random& random);

  // By name or ARN.
  std::optional<SecretRecord> Find(const std::string& id) const;
  JsonReply Create(const nlohmann::json& in);
  JsonReply Put(const nlohmann::json& in);
  JsonReply GetValue(const nlohmann::json& in) const;

 private:
  SecretRecord* FindLocked(const std::string& id);
  const SecretRecord* FindLocked(const std::string& id) const;
  std::string NewArn(const std::string& name);
  const EmulatorConfig& config_;
  const Clock& clock_;
  Random& random_;
  mutable std::mutex mu_;
  std::map<std::string, SecretRecord> secrets_;  // by name
};

// Everything an operation handler may need.
struct ServiceContext {
  const EmulatorConfig& config;
  const Clock& clock;
  Random& random;
  Iam& iam;
  SecretsStore& secrets;
  StatementEngine& engine;
  PgAccess& pg;
  StatementLog& log;  // metadata operations log the catalog queries they run
};

JsonReply HandleDataApi(ServiceContext& ctx, const Identity& caller, const std::string& op,
                        const nlohmann::json& in);
JsonReply HandleSecretsManager(ServiceContext& ctx, const Identity& caller, const std::string& op,
                               const nlohmann::json& in);
JsonReply HandleRedshiftServerless(ServiceContext& ctx, const Identity& caller,
                                   const std::string& op, const nlohmann::json& in);
XmlReply HandleSts(ServiceContext& ctx, const Identity& caller, const std::string& op,
                   const std::map<std::string, std::string>& params);
XmlReply HandleRedshift(ServiceContext& ctx, const Identity& caller, const std::string& op,
                        const std::map<std::string, std::string>& params);

// ARNs of the configured resources.
std::string WorkgroupArn(const EmulatorConfig& config, const WarehouseConfig& w);
std::string ClusterArn(const EmulatorConfig& config, const WarehouseConfig& c);

}  // namespace schemaport::emulator
