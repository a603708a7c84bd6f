// Package postgres stores apid's users and predictions in PostgreSQL through
// a pgx v5 connection pool, with hand-written SQL. Open applies the embedded
// migrations (package migrations) before returning.
//
// It translates pgx.ErrNoRows to not_found, SQLSTATE 23505 to conflict, and
// every failure to reach the server (refused or broken connections, timeouts,
// SQLSTATE classes 08 and 57P) to unavailable, so that apid answers 503 while
// the database is away; the pool reconnects by itself when it returns.
package postgres
