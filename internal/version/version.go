// Package version holds the build's version, set by the Makefile with
// -ldflags "-X github.com/nba-mlops/nba-mlops/internal/version.Version=...".
package version

// Version is the version of the build; "dev" when built without the Makefile.
var Version = "dev"
