#include "warehouse/redshift/test_steps.h"

#include "warehouse/redshift/queries.h"

namespace schemaport::warehouse::redshift {

std::string DatabaseUserForArn(std::string_view arn) {
  // arn:partition:service:region:account:resource; the resource is everything after the fifth ':'.
  std::size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return "";
    ++pos;
  }
  const std::string_view resource = arn.substr(pos);
  if (resource.rfind("user/", 0) == 0) {
    return "IAM:" + std::string(resource.substr(resource.rfind('/') + 1));
  }
  if (resource.rfind("assumed-role/", 0) == 0) {
    const std::string_view rest = resource.substr(13);
    return "IAMR:" + std::string(rest.substr(0, rest.find('/')));
  }
  return "";
}

namespace {

TestStep Step(const char* id, const char* title) {
  TestStep s;
  s.id = id;
  s.title = title;
  s.status = StepStatus::kSkipped;
  return s;
}

void Fail(TestStep& step, const Status& status, std::string fix) {
  step.status = StepStatus::kFailed;
  step.detail = status.message();
  step.fix = std::move(fix);
}

void SkipRest(std::vector<TestStep>& steps, std::size_t from, const std::string& because) {
  for (std::size_t i = from; i < steps.size(); ++i) {
    if (steps[i].status == StepStatus::kSkipped && steps[i].detail.empty()) {
      steps[i].detail = "not run: " + because;
    }
  }
}

// A UUID-shaped id no statement has: DescribeStatement on it tells whether the Data API
// admits this identity without running anything.
std::string ProbeStatementId(Random& random) {
  std::uint8_t b[16];
  random.Fill(b);
  const std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string PolicyHint(const std::string& action, const std::string& resource) {
  return "Allow " + action +
         " for this IAM user, e.g. a policy statement {\"Effect\": \"Allow\", "
         "\"Action\": \"" +
         action + "\", \"Resource\": \"" + resource + "\"}.";
}

}  // namespace

TestReport RunConnectionTest(Connection& connection) {
  const Settings& settings = connection.settings();
  TestReport report;
  auto& steps = report.steps;
  steps.push_back(Step(kStepCredentials, "Credentials valid"));
  steps.push_back(Step(kStepDataApi, "Data API allowed"));
  steps.push_back(Step(kStepTemporaryCredentials, "Temporary credentials allowed"));
  steps.push_back(Step(kStepDatabase, "Database reachable"));
  steps.push_back(Step(kStepCatalog, "Catalog readable"));
  steps.push_back(Step(kStepSelect, "SELECT granted on at least one table"));
  TestStep& credentials = steps[0];
  TestStep& data_api = steps[1];
  TestStep& temporary = steps[2];
  TestStep& database = steps[3];
  TestStep& catalog = steps[4];
  TestStep& select = steps[5];

  // 1. Who is this key?
  auto identity = connection.sts().GetCallerIdentity();
  if (!identity.ok()) {
    const Code code = identity.status().code();
    const bool denied = code == Code::kUnauthenticated || code == Code::kPermissionDenied;
    std::string fix =
        denied
            ? "Check the Access Key ID and Secret Key: the key may be mistyped, inactive or "
              "deleted. "
              "Create a new access key under IAM > Users > (user) > Security credentials."
            : "AWS STS could not be reached: check the network, proxy and endpoint settings of the "
              "schemaport server.";
    if (denied && !settings.role_arn.empty()) {
      fix +=
          " With a Role ARN: allow sts:AssumeRole on " + settings.role_arn +
          " for this IAM user, and make the role's trust policy trust the user" +
          (settings.external_id.empty() ? std::string(".")
                                        : " with the condition sts:ExternalId = the External ID.");
    }
    Fail(credentials, identity.status(), fix);
    SkipRest(steps, 1, "the credentials are not valid");
    return report;
  }
  const std::string account = identity->account;
  std::string db_user;
  switch (settings.mode) {
    case AuthMode::kClusterDbUser: db_user = settings.database_user; break;
    case AuthMode::kSecret: db_user = "the user stored in the secret"; break;
    default: db_user = DatabaseUserForArn(identity->arn); break;
  }
  credentials.status = StepStatus::kOk;
  credentials.detail = identity->arn + (db_user.empty() ? "" : " (database user: " + db_user + ")");

  // 2. Does the Data API admit this identity?
  auto probe = connection.data().DescribeStatement(ProbeStatementId(*connection.deps().random));
  const Code probe_code = probe.ok() ? Code::kOk : probe.status().code();
  if (probe_code == Code::kPermissionDenied || probe_code == Code::kUnauthenticated) {
    Fail(data_api, probe.status(),
         "Allow redshift-data:ExecuteStatement, redshift-data:DescribeStatement, "
         "redshift-data:GetStatementResult, redshift-data:CancelStatement and "
         "redshift-data:ListDatabases for this IAM user (the AWS managed policy "
         "AmazonRedshiftDataFullAccess includes them).");
    SkipRest(steps, 2, "the Data API is not allowed");
    return report;
  }
  if (probe_code != Code::kOk && probe_code != Code::kNotFound &&
      probe_code != Code::kInvalidArgument) {
    Fail(data_api, probe.status(),
         "The Redshift Data API could not be reached in " + settings.region +
             ": check the Region and the server's network and endpoint settings.");
    SkipRest(steps, 2, "the Data API could not be reached");
    return report;
  }
  data_api.status = StepStatus::kOk;
  data_api.detail = "the Redshift Data API accepts this identity in " + settings.region;

  // 3. May it get temporary database credentials for the chosen mode?
  Result<aws::DbCredentials> creds = Status(Code::kInternal, "not run");
  switch (settings.mode) {
    case AuthMode::kServerless:
      creds = connection.serverless().GetCredentials(settings.workgroup, settings.database, 900);
      break;
    case AuthMode::kClusterDbUser:
      creds = connection.redshift().GetClusterCredentials(
          settings.cluster_identifier, settings.database_user, settings.database, 900);
      break;
    case AuthMode::kClusterIam:
      creds = connection.redshift().GetClusterCredentialsWithIAM(settings.cluster_identifier,
                                                                 settings.database, 900);
      break;
    case AuthMode::kSecret:
      break;  // the Data API reads the secret itself: step 4 shows whether it may
  }
  std::string action, resource;
  switch (settings.mode) {
    case AuthMode::kServerless:
      action = "redshift-serverless:GetCredentials";
      resource = "arn:aws:redshift-serverless:" + settings.region + ":" + account + ":workgroup/*";
      break;
    case AuthMode::kClusterDbUser:
      action = "redshift:GetClusterCredentials";
      resource = "arn:aws:redshift:" + settings.region + ":" + account +
                 ":dbuser:" + settings.cluster_identifier + "/" + settings.database_user;
      break;
    case AuthMode::kClusterIam:
      action = "redshift:GetClusterCredentialsWithIAM";
      resource = "arn:aws:redshift:" + settings.region + ":" + account +
                 ":dbname:" + settings.cluster_identifier + "/" + settings.database;
      break;
    case AuthMode::kSecret:
      action = "secretsmanager:GetSecretValue";
      resource = settings.secret_arn;
      break;
  }
  if (settings.mode != AuthMode::kSecret) {
    if (!creds.ok()) {
      // Classified by the AWS error code the adapter carries, never by message text.
      const std::string aws_code = aws::AwsErrorCode(creds.status());
      std::string fix = PolicyHint(action, resource);
      if (aws_code == "ResourceNotFoundException" || aws_code == "ClusterNotFound" ||
          aws_code == "ClusterNotFoundFault") {
        fix = settings.mode == AuthMode::kServerless
                  ? "Check the workgroup name and Region: no workgroup '" + settings.workgroup +
                        "' in " + settings.region + "."
                  : "Check the cluster identifier and Region: no cluster '" +
                        settings.cluster_identifier + "' in " + settings.region + ".";
      } else if (aws_code == "ValidationException" || aws_code == "InvalidParameterValue" ||
                 aws_code == "InvalidParameterCombination" ||
                 creds.status().code() == Code::kInvalidArgument) {
        fix = settings.mode == AuthMode::kServerless
                  ? "Check the workgroup name and the database name '" + settings.database +
                        "': AWS did not accept them (see the message above)."
                  : "Check the cluster identifier, the database user and the database name '" +
                        settings.database + "': AWS did not accept them (see the message above).";
      }
      Fail(temporary, creds.status(), fix);
      SkipRest(steps, 3, "no temporary database credentials");
      return report;
    }
    temporary.status = StepStatus::kOk;
    temporary.detail = action + " allowed; database user " + creds->db_user;
    db_user = creds->db_user;
  }

  // 4. Can a statement run in the database?
  Session session(connection, settings.database, nullptr);
  std::string current_user, version;
  Status who = session.Run("connecting to " + settings.database, std::string(kWhoAmISql), {},
                           [&](RowView row) -> Status {
                             if (row.size() == 3) {
                               current_user = std::string(row[0].text);
                               version = std::string(row[2].text);
                             }
                             return Status::Ok();
                           });
  if (!who.ok()) {
    std::string fix;
    // An AWS error (it carries an AWS code) is about the secret or the service; a failed
    // statement (no AWS code) is the warehouse's answer, classified by the adapter.
    const bool aws_error = !aws::AwsErrorCode(who).empty();
    if (settings.mode == AuthMode::kSecret && aws_error &&
        (who.code() == Code::kPermissionDenied || who.code() == Code::kNotFound ||
         who.code() == Code::kInvalidArgument)) {
      Fail(temporary, who, PolicyHint(action, resource));
      temporary.detail = who.message();
      fix = "Fix the step above first.";
    } else if (!aws_error && who.code() == Code::kNotFound) {
      fix = "Check the database name: the warehouse has no database '" + settings.database + "'.";
    } else if (who.code() == Code::kPermissionDenied) {
      // Redshift has no CONNECT privilege (GRANT ... ON DATABASE takes CREATE, TEMP or ALL):
      // a refused login is the user's own state, not a missing grant.
      fix = "The database refused the connection of " + QuoteSqlIdentifier(db_user) +
            ": check that this database user exists and is not locked out (ALTER USER " +
            QuoteSqlIdentifier(db_user) +
            " CONNECTION LIMIT UNLIMITED; an expired VALID UNTIL "
            "date also refuses it).";
    } else {
      fix =
          "Check that the workgroup or cluster is available (not paused) and that the database "
          "exists.";
    }
    Fail(database, who, fix);
    SkipRest(steps, 4, "the database could not be reached");
    return report;
  }
  if (settings.mode == AuthMode::kSecret) {
    temporary.status = StepStatus::kOk;
    temporary.detail = "the Data API read the secret (secretsmanager:GetSecretValue allowed)";
    db_user = current_user;
  }
  database.status = StepStatus::kOk;
  database.detail = "connected to " + settings.database + " as " + current_user;

  // 5 and 6. What does the catalog show, and what may be read?
  std::int64_t tables = 0, selectable = 0;
  std::string schema_without_select;
  Status summary =
      session.Run("reading the catalog of " + settings.database, std::string(kPrivilegeSummarySql),
                  {}, [&](RowView row) -> Status {
                    if (row.size() != 3) return Internal("unexpected privilege summary");
                    const auto count = [](const Cell& c) {
                      return c.is_null ? std::optional<std::int64_t>(0) : ParseInt64(c.text);
                    };
                    const auto t = count(row[0]), sel = count(row[1]);
                    if (!t || !sel || *t < 0 || *sel < 0) {
                      return Internal("unexpected privilege summary: counts are not numbers");
                    }
                    tables = *t;
                    selectable = *sel;
                    if (!row[2].is_null) schema_without_select = std::string(row[2].text);
                    return Status::Ok();
                  });
  if (!summary.ok()) {
    Fail(
        catalog, summary,
        "The database user cannot read pg_catalog, which every Redshift user can by default: check "
        "for REVOKE statements on the catalog.");
    SkipRest(steps, 5, "the catalog could not be read");
    return report;
  }
  catalog.status = StepStatus::kOk;
  catalog.detail = std::to_string(tables) + " tables and views visible in " + settings.database;

  // Column-level grants: has_table_privilege says no, yet the granted columns are readable.
  std::int64_t column_granted = 0;
  if (selectable == 0 && tables > 0) {
    Status grants = session.Run("reading column grants of " + settings.database,
                                std::string(kColumnGrantsSql), {}, [&](RowView) -> Status {
                                  ++column_granted;
                                  return Status::Ok();
                                });
    if (!grants.ok()) column_granted = 0;  // the table-level answer stands
  }
  if (selectable == 0 && column_granted > 0) {
    select.status = StepStatus::kOk;
    select.detail = "SELECT granted on some columns of " + std::to_string(column_granted) + " of " +
                    std::to_string(tables) + " tables and views";
  } else if (selectable > 0) {
    select.status = StepStatus::kOk;
    select.detail = "SELECT granted on " + std::to_string(selectable) + " of " +
                    std::to_string(tables) + " tables and views";
  } else {
    select.status = StepStatus::kFailed;
    const std::string user = QuoteSqlIdentifier(current_user.empty() ? db_user : current_user);
    if (tables == 0) {
      select.detail = "no tables or views are visible in " + settings.database;
      select.fix = "Connect to the database that holds the tables, or create them.";
    } else {
      const std::string schema =
          QuoteSqlIdentifier(schema_without_select.empty() ? "public" : schema_without_select);
      select.detail = "the database user may not SELECT any of the " + std::to_string(tables) +
                      " tables and views it can see";
      select.fix = "GRANT USAGE ON SCHEMA " + schema + " TO " + user +
                   "; GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + user + ";";
    }
  }
  return report;
}

}  // namespace schemaport::warehouse::redshift
