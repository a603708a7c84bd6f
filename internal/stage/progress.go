package stage

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// Progress reports rows processed, the rate and, when the total is known,
// the ETA, on one rewritten line of a terminal. When stderr is not a
// terminal it prints nothing: logs and CI output stay clean, and the stage
// logs its own summary line.
type Progress struct {
	w      io.Writer
	label  string
	total  int64
	n      int64
	start  time.Time
	last   time.Time
	active bool
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewProgress returns a reporter writing to w when w is a terminal.
func NewProgress(w io.Writer, label string, total int64) *Progress {
	now := time.Now()
	return &Progress{w: w, label: label, total: total, start: now, last: now, active: IsTerminal(w)}
}

// Add counts n more rows, redrawing at most four times a second.
func (p *Progress) Add(n int64) {
	p.n += n
	if !p.active {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 250*time.Millisecond {
		p.last = now
		p.draw(now, false)
	}
}

// Done draws the final line.
func (p *Progress) Done() {
	if p.active {
		p.draw(time.Now(), true)
	}
}

func (p *Progress) draw(now time.Time, final bool) {
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.n) / el
	}
	line := fmt.Sprintf("\r%s: %d rows, %.0f rows/s", p.label, p.n, rate)
	if p.total > 0 {
		line += fmt.Sprintf(", %.0f%%", 100*float64(p.n)/float64(p.total))
		if !final && rate > 0 {
			line += fmt.Sprintf(", ETA %s", time.Duration(float64(p.total-p.n)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	line += "\x1b[K" // clear to the end of the line
	if final {
		line += "\n"
	}
	fmt.Fprint(p.w, line)
}
