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
  aws::EndpointSettings endpoints;   // server settings: AWS_ENDPOINT_URL*, AWS_CA_BUNDLE
  Clock* clock = nullptr;
  Random* random = nullptr;
  std::shared_ptr<Logger> logger;    // may be null
  // More attempts than the SDKs' default 3: a fetch makes dozens of calls, and with a few
  // percent of throttles or 5xx replies three attempts lose a call too often. Every call is
  // safe to retry (ExecuteStatement carries a ClientToken).
  aws::RetryPolicy retry = [] {
    aws::RetryPolicy p;
    p.max_attempts = 8;
    return p;
  }();
  int parallel_databases = 4;        // databases fetched at once
  std::chrono::seconds statement_timeout{600};  // per statement; then it is cancelled
  // How long the Data API keeps a fetch's session open after its last statement.
  int session_keep_alive_seconds = 60;
  // Column rows per catalog statement; larger catalogs are split by table so that no result
  // approaches the Data API's 100 MB limit.
  std::int64_t max_columns_per_statement = 400'000;
};

// The "redshift" connector type: its form, its validation and its factory.
ConnectorType MakeConnectorType(Dependencies deps);

}  // namespace schemaport::warehouse::redshift
