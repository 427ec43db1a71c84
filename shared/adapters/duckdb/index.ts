export { DuckDbSqlEngine, DuckDbQueryError } from './duckdb-sql-engine.js';
