// Command healthcheck is the container health probe of the service images.
//
// The runtime image (distroless static) has no shell, curl or wget, so
// Docker's HEALTHCHECK and compose's healthcheck run this static binary
// instead:
//
//	healthcheck [-timeout 3s] URL
//
// It exits 0 when GET URL answers 2xx within the timeout, and 1 otherwise,
// printing the reason on stderr (Docker keeps it in the container's health log).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// run probes the URL given in args and returns nil when it answers 2xx.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("usage: healthcheck [-timeout 3s] URL: %w", err)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: healthcheck [-timeout 3s] URL: want exactly one URL")
	}
	if *timeout <= 0 {
		return fmt.Errorf("-timeout %v: must be positive", *timeout)
	}
	u, err := url.Parse(fs.Arg(0))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q: must be an absolute http(s) URL", fs.Arg(0))
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	// Keep a short excerpt of the body: /readyz says which dependency is down.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: status %d: %s", u, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "GET %s: status %d\n", u, resp.StatusCode)
	return nil
}
