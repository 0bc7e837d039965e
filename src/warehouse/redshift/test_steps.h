// The connection test: named steps, each ok / failed / skipped, with a detail and a fix.
// Internal to src/warehouse/redshift.
#pragma once

#include "warehouse/redshift/connection.h"

namespace schemaport::warehouse::redshift {

// Step ids, in order.
inline constexpr char kStepCredentials[] = "credentials";
inline constexpr char kStepDataApi[] = "data_api";
inline constexpr char kStepTemporaryCredentials[] = "temporary_credentials";
inline constexpr char kStepDatabase[] = "database";
inline constexpr char kStepCatalog[] = "catalog";
inline constexpr char kStepSelect[] = "select_privilege";

// Runs every step it can; a failed step skips the steps that depend on it.
TestReport RunConnectionTest(Connection& connection);

// The database user an IAM identity maps to: "IAM:alice" for user/alice, "IAMR:Role" for an
// assumed role; "" when the ARN is neither.
std::string DatabaseUserForArn(std::string_view arn);

}  // namespace schemaport::warehouse::redshift
