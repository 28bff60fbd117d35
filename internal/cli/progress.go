package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// progress shows push and pull progress on w: a bar redrawn in place when
// w is a terminal, one plain line per blob otherwise (logs, CI).
type progress struct {
	w    io.Writer
	tty  bool
	what string
	size int64
	done int64
	last time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w)}
}

// isTerminal reports whether w is a terminal (it answers TCGETS, which
// /dev/null, pipes and files do not) and TERM is not "dumb".
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (p *progress) Blob(what string, size int64) {
	p.what, p.size, p.done, p.last = what, size, 0, time.Time{}
	p.draw()
}

func (p *progress) Advance(done int64) {
	p.done = done
	if p.tty && time.Since(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

func (p *progress) BlobDone(how string) {
	if p.tty {
		p.done = p.size
		p.draw()
		fmt.Fprintf(p.w, " %s\n", how)
		return
	}
	fmt.Fprintf(p.w, "%s (%s): %s\n", p.what, human(p.size), how)
}

func (p *progress) draw() {
	if !p.tty {
		return
	}
	p.last = time.Now()
	const width = 30
	n := width
	if p.size > 0 {
		n = int(min(p.done, p.size) * width / p.size)
	}
	fmt.Fprintf(p.w, "\r%-34s [%s%s] %9s / %-9s", p.what, strings.Repeat("=", n), strings.Repeat(" ", width-n), human(p.done), human(p.size))
}

// human formats a byte count: 512 B, 3.4 kB, 1.2 MB.
func human(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
