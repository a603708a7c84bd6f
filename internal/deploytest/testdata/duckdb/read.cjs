// Reads Parquet files with DuckDB, independently of the Go code that wrote
// them, and prints what it sees as JSON: for each file its row count, its
// columns (name and DuckDB type) and the sums of the columns asked for.
//
//   NBA_DUCKDB_DIR=DIR node read.cjs '{"FILE": ["column", ...], ...}'
//
// NBA_DUCKDB_DIR holds node_modules/@duckdb/node-api (.ci/setup/70-duckdb.sh).
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');

async function main() {
  const dir = process.env.NBA_DUCKDB_DIR;
  if (!dir) throw new Error('NBA_DUCKDB_DIR is unset');
  const { DuckDBInstance } = createRequire(path.join(dir, 'package.json'))('@duckdb/node-api');
  const want = JSON.parse(process.argv[2]);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson();
  const ident = (s) => '"' + s.replaceAll('"', '""') + '"';
  const out = {};
  for (const [file, sumCols] of Object.entries(want)) {
    const src = `read_parquet('${file.replaceAll("'", "''")}')`;
    const columns = (await rows(`DESCRIBE SELECT * FROM ${src}`)).map((r) => ({ name: r.column_name, type: r.column_type }));
    const [{ n }] = await rows(`SELECT count(*)::DOUBLE AS n FROM ${src}`);
    const sums = {};
    for (const c of sumCols) {
      const [{ s }] = await rows(`SELECT sum(${ident(c)})::DOUBLE AS s FROM ${src}`);
      sums[c] = s;
    }
    out[file] = { rows: n, columns, sums };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(`read.cjs: ${err.stack || err}\n`);
  process.exit(1);
});
