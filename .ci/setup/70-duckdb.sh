# shellcheck shell=bash
# DuckDB, the independent reader of the pipeline's Parquet files
# (internal/deploytest TestParquetReadableByDuckDB): the npm package
# @duckdb/node-api, which ships DuckDB's engine, pinned by the package-lock.json
# beside the test and installed under $NBA_CI_CACHE, keyed by that lock file.
# Exports NBA_DUCKDB_DIR, the directory holding its node_modules.
command -v node >/dev/null || ci_packages+=(nodejs)
command -v npm >/dev/null || ci_packages+=(npm)

ci_setup_duckdb() {
  local src=internal/deploytest/testdata/duckdb key dir
  key=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
  dir=$NBA_CI_CACHE/duckdb-$key
  if [ ! -f "$dir/node_modules/@duckdb/node-api/package.json" ]; then
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    cp "$src/package.json" "$src/package-lock.json" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  export NBA_DUCKDB_DIR=$dir
}
ci_setup+=(ci_setup_duckdb)
