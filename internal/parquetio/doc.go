// Package parquetio reads and writes the pipeline's Parquet files: the
// processed shots (nba.Shot) and the feature rows (features.Row).
//
// Writing goes through parquet-go's GenericWriter into an atomicfile, in
// row groups of RowGroupRows, snappy-compressed, hashing the bytes on the
// way (the SHA-256 ends up in lineage records).
//
// Reading is columnar and batched by row group. parquet-go's row-by-row
// GenericReader costs about 1.5 s per million shots on this machine and a
// single huge Read is pathological (it buffers the whole file); decoding the pages of
// each column straight into the fields of a []T costs about 50 ms per
// million. Reader does that for any struct whose fields are int8..int64,
// float32/float64 or string with parquet tags, so memory stays bounded by
// one row group whatever the file size.
package parquetio
