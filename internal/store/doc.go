// Package store holds the records apid keeps (users, stored predictions,
// verifications) and the rules both of its storage adapters share. The
// adapters are named after their dependency: store/postgres (pgx) and
// store/sqlite (modernc.org/sqlite). store/storetest is the one contract test
// suite that runs against both, so they cannot drift apart.
//
// Errors: adapters return *nba.Error with code not_found, conflict or
// unavailable (the database cannot be reached) where a method's comment says
// so; anything else is an internal error.
package store
