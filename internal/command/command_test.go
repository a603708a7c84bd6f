package command

import (
	"errors"
	"flag"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"help", flag.ErrHelp, 0},
		{"usage", Usage(errors.New("bad flag")), 2},
		{"usagef", Usagef("--rows: %q is not a number", "x"), 2},
		{"wrapped usage", fmt.Errorf("load: %w", Usagef("missing")), 2},
		{"help stays help", Usage(flag.ErrHelp), 0},
		{"other", errors.New("listen"), 1},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) != nil")
	}
}
