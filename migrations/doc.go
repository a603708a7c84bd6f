// Package migrations embeds the SQL schema migrations of apid's database,
// one directory per dialect (postgres/, sqlite/), and holds the rules every
// migrator follows: files are named NNNN_name.sql, numbered 1, 2, 3... without
// gaps, applied in order inside one transaction, recorded with a checksum in
// schema_migrations, and never edited once applied (append-only).
//
// The store adapters (internal/store/postgres, internal/store/sqlite) apply
// them at start; this package only lists and checks them, so it has no
// database dependency.
package migrations
