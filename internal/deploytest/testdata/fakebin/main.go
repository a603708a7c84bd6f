// Command fakebin stands in for a binary of cmd/ in the tests of the
// --check-config harness: it parses a few flags, reads FAKE_A, FAKE_B and
// DB_PASSWORD_FILE, requires --data-dir and the password file to exist, and
// prints its configuration with the "env" list, as the real binaries do.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	fs := flag.NewFlagSet("fakebin", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./data", "data directory")
	signal := fs.String("signal", "", "signal file")
	check := fs.Bool("check-config", false, "print the configuration and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if !*check {
		fmt.Fprintln(os.Stderr, "fakebin: only --check-config is implemented")
		os.Exit(2)
	}
	if _, err := os.Stat(*dataDir); err != nil {
		fmt.Fprintln(os.Stderr, "fakebin: --data-dir:", err)
		os.Exit(1)
	}
	if p := os.Getenv("DB_PASSWORD_FILE"); p != "" {
		if _, err := os.ReadFile(p); err != nil {
			fmt.Fprintln(os.Stderr, "fakebin: DB_PASSWORD_FILE:", err)
			os.Exit(1)
		}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"data_dir": *dataDir,
		"signal":   *signal,
		"a":        os.Getenv("FAKE_A"),
		"env":      []string{"FAKE_A", "FAKE_B", "DB_PASSWORD_FILE"},
	})
}
