// Package sqlite stores apid's users and predictions in an embedded SQLite
// file through modernc.org/sqlite (pure Go, no cgo), so that `make run` needs
// no database server. The file uses WAL journaling (readers never wait for
// the writer) with synchronous=NORMAL, and every transaction begins
// IMMEDIATE so that concurrent writers queue on busy_timeout instead of
// failing with SQLITE_BUSY halfway through.
//
// It translates sql.ErrNoRows to not_found, unique violations to conflict
// and a lock held past busy_timeout to unavailable.
package sqlite
