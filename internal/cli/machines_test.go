package cli

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"unigo.dev/unigo/internal/machine"
)

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		base, over, want []string
	}{
		{[]string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{[]string{"A=1", "B=2"}, []string{"B=3", "C=4"}, []string{"A=1", "B=3", "C=4"}},
		{[]string{"A=1"}, []string{"A"}, []string{"A"}}, // -e A copies the host's A instead
		{nil, []string{"X=y"}, []string{"X=y"}},
	}
	for _, tt := range tests {
		if got := mergeEnv(tt.base, tt.over); !slices.Equal(got, tt.want) {
			t.Errorf("mergeEnv(%q, %q) = %q; want %q", tt.base, tt.over, got, tt.want)
		}
	}
}

func TestStatusColumn(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	zero, killed := 0, 137
	tests := []struct {
		m    machine.Machine
		want string
	}{
		{machine.Machine{State: machine.Running, Started: now.Add(-90 * time.Second)}, "running 1m"},
		{machine.Machine{State: machine.Exited, ExitCode: &zero, Finished: now.Add(-3 * time.Second)}, "exited (0) 3s ago"},
		{machine.Machine{State: machine.Exited, ExitCode: &killed, Finished: now.Add(-50 * time.Hour)}, "exited (137) 2d ago"},
		{machine.Machine{State: machine.Exited}, "exited (?)"},
		{machine.Machine{State: machine.Created}, "created"},
	}
	for _, tt := range tests {
		if got := status(&tt.m, now); got != tt.want {
			t.Errorf("status(%+v) = %q; want %q", tt.m, got, tt.want)
		}
	}
}

// TestProgress: a bar redrawn in place on a terminal, one line per blob
// otherwise.
func TestProgress(t *testing.T) {
	var plain bytes.Buffer
	p := &progress{w: &plain}
	p.Blob("kernel layer sha256:abcd", 2_500_000)
	p.Advance(1_000_000)
	p.BlobDone("pushed")
	if got, want := plain.String(), "kernel layer sha256:abcd (2.5 MB): pushed\n"; got != want {
		t.Errorf("plain progress = %q; want %q", got, want)
	}
	var tty bytes.Buffer
	p = &progress{w: &tty, tty: true}
	p.Blob("kernel layer sha256:abcd", 1000)
	p.last = time.Time{} // redraws are at most every 100 ms: let one be due
	p.Advance(500)
	p.BlobDone("pulled")
	out := tty.String()
	if !strings.HasPrefix(out, "\r") || !strings.Contains(out, "[===============               ]") ||
		!strings.Contains(out, "[==============================]") || !strings.HasSuffix(out, " pulled\n") {
		t.Errorf("terminal progress = %q; want \\r-redrawn bars at half and full, then the outcome", out)
	}
}

func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) || isTerminal(&bytes.Buffer{}) {
		t.Error("/dev/null or a buffer taken for a terminal")
	}
}
