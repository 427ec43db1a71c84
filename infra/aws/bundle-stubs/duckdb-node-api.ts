/**
 * Stands in for `@duckdb/node-api` inside Lambda bundles. DuckDB is the lake's SQL engine on one
 * machine only; on AWS the stack sets ATHENA_DATABASE and the refresh queries Athena, so this
 * path is never taken. Its native binaries (per platform, tens of MB) would not load on Lambda's
 * arm64 from a bundle built here, so a bundle fails loudly instead of carrying them.
 */
export class DuckDBInstance {
  static create(): never {
    throw new Error('DuckDB is not available in the Lambda bundle: set ATHENA_DATABASE so the function queries the lake through Athena');
  }
}
