// Package envconf reads settings from the environment for flag defaults:
// every binary takes its getenv as a parameter, so tests pass their own.
package envconf

// Or returns getenv(key), or def when the variable is unset or empty.
func Or(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
