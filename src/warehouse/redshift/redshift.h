// The Redshift connector: the warehouse::Connector interface on the Redshift Data API.
//
// Everything goes through the Data API (HTTPS, SigV4) with the caller's IAM access key and the
// temporary database credentials of the chosen auth mode (serverless workgroup, cluster with a
// database user, cluster with the IAM identity, or a Secrets Manager secret). Only catalog
// objects are queried, never a user table (queries.h).
#pragma once

#include <chrono>
#include <memory>

#include "aws/aws.h"
#include "warehouse/warehouse.h"

namespace schemaport::warehouse::redshift {

// What every Redshift connector shares, bound once at start-up.
// REQUIRES: clock and random outlive every connector made from this.
struct Dependencies {
  std::shared_ptr<aws::HttpClient> http;
  aws::EndpointSettings endpoints;  // server settings: AWS_ENDPOINT_URL*, AWS_CA_BUNDLE
  Clock* clock = nullptr;
  Random* random = nullptr;
  std::shared_ptr<Logger> logger;  // may be null
  // The Data API quotas' budgets, one per account and Region, shared by every connection and
  // job of the process: the runtime wiring makes one and passes it to every connector type it
  // registers. When null, MakeConnectorType makes one for the connectors it creates.
  std::shared_ptr<aws::RateBudgets> rate_budgets;
  // More attempts than the SDKs' default 3: a fetch makes dozens of calls, and with a few
  // percent of throttles or 5xx replies three attempts lose a call too often. Every call is
  // safe to retry (ExecuteStatement carries a ClientToken).
  aws::RetryPolicy retry = [] {
    aws::RetryPolicy p;
    p.max_attempts = 8;
    return p;
  }();
  int parallel_databases = 4;                   // databases fetched at once
  std::chrono::seconds statement_timeout{600};  // per statement; then it is cancelled
  // How long the Data API keeps a fetch's session open after its last statement.
  int session_keep_alive_seconds = 60;
  // Column rows per catalog statement; larger catalogs are split by table so that no result
  // approaches the Data API's 100 MB limit.
  std::int64_t max_columns_per_statement = 400'000;
  // Columns of a table packed into one result row (queries.h ColumnsSql): fewer rows, fewer
  // result pages under the GetStatementResult quota whatever the service's page size.
  int columns_per_row = 8;
};

// The "redshift" connector type: its form, its validation and its factory.
ConnectorType MakeConnectorType(Dependencies deps);

}  // namespace schemaport::warehouse::redshift
