// Package dataset reads and writes shot data in the Kaggle CSV schema and
// validates rows against the facts of the real data (docs/data.md §1–3).
//
// Reading streams: a Reader holds one record at a time, so a file of
// millions of rows costs no more memory than a file of ten. Columns are found
// by header name, so a file may order them as it likes; a Writer always emits
// them in Kaggle order.
package dataset
