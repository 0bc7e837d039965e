// The naive way to read a Redshift catalog with the official AWS SDK for JavaScript v3:
// ListSchemas, ListTables, then DescribeTable for every table, following every NextToken, one
// call after another. Prints {"tables", "columns", "wall_ms"} as JSON.
// Env: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//      BENCH_WORKGROUP, BENCH_DATABASES (comma-separated).
import {
  RedshiftDataClient,
  paginateListSchemas,
  paginateListTables,
  paginateDescribeTable,
} from '@aws-sdk/client-redshift-data';

const client = new RedshiftDataClient({ maxAttempts: 8 });
const WorkgroupName = process.env.BENCH_WORKGROUP;
const databases = process.env.BENCH_DATABASES.split(',');

const start = performance.now();
let tables = 0;
let columns = 0;
for (const Database of databases) {
  const schemas = [];
  for await (const page of paginateListSchemas({ client }, { WorkgroupName, Database })) {
    schemas.push(...(page.Schemas ?? []));
  }
  for (const schema of schemas) {
    if (schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_')) continue;
    const found = [];
    for await (const page of paginateListTables({ client }, { WorkgroupName, Database, SchemaPattern: schema })) {
      for (const t of page.Tables ?? []) if (t.schema === schema) found.push(t);
    }
    for (const t of found) {
      tables++;
      for await (const page of paginateDescribeTable({ client }, { WorkgroupName, Database, Schema: schema, Table: t.name })) {
        columns += (page.ColumnList ?? []).length;
      }
    }
  }
}
console.log(JSON.stringify({ tables, columns, wall_ms: Math.round(performance.now() - start) }));
