package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// tail keeps the last n lines written to it: the console ring buffer that
// error reports quote.
type tail struct {
	mu      sync.Mutex
	n       int
	lines   []string
	partial strings.Builder
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range string(p) {
		if c == '\n' {
			t.push(strings.TrimRight(t.partial.String(), "\r"))
			t.partial.Reset()
			continue
		}
		if t.partial.Len() < 4096 {
			t.partial.WriteRune(c)
		}
	}
	return len(p), nil
}

func (t *tail) push(line string) {
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

// Lines returns the kept lines, including an unterminated last one.
func (t *tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if t.partial.Len() > 0 {
		out = append(out, t.partial.String())
		if len(out) > t.n {
			out = out[1:]
		}
	}
	return out
}

func (t *tail) contains(s string) bool {
	for _, l := range t.Lines() {
		if strings.Contains(strings.ToLower(l), s) {
			return true
		}
	}
	return false
}

func (t *tail) dump(w io.Writer) {
	lines := t.Lines()
	if len(lines) == 0 {
		fmt.Fprintln(w, "  (no console output)")
	}
	for _, l := range lines {
		fmt.Fprintln(w, "  | "+l)
	}
}
