package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestDemandZeroBSS boots a program whose BSS (48 MiB) is larger than the
// guest (32 MiB): the image loads only its first part and the kernel maps
// the large array demand-zero (ADR 0011). Touching a few MiB works and
// reads back right; touching it all runs out of memory and is reported
// cleanly (status 137 and the kernel's message with where memory went). It
// also checks the kernel's default GOMEMLIMIT and its overrides.
func TestDemandZeroBSS(t *testing.T) {
	img := image(t, "../programs/bigbss")
	tests := []struct {
		name   string
		env    []string
		mib    string
		status int
		want   []string
	}{
		{"touch 4 MiB", nil, "4", 0, []string{"bigbss: 48 MiB array, 4 MiB touched, contents right"}},
		{"touch 16 MiB", nil, "16", 0, []string{"bigbss: 48 MiB array, 16 MiB touched, contents right"}},
		{"touch all", nil, "48", 137, []string{"out of memory", "memory use: program "}},
		// The default GOMEMLIMIT comes from free RAM; the environment overrides it.
		{"default memory limit", nil, "0", 0, []string{"bigbss: memory limit "}},
		{"GOMEMLIMIT=off", []string{"-e", "GOMEMLIMIT=off"}, "0", 0, []string{"bigbss: memory limit none"}},
		{"GOMEMLIMIT=5MiB", []string{"-e", "GOMEMLIMIT=5MiB"}, "0", 0, []string{"bigbss: memory limit 5120 KiB"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", timeoutFlag(), "-m", "32M"}, tc.env...), img, "--", tc.mib)
			r := unigo(t, args...)
			if r.status != tc.status {
				t.Errorf("status %d; want %d\n%s", r.status, tc.status, r.describe())
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("output lacks %q\n%s", w, r.describe())
				}
			}
			if tc.env == nil && tc.status == 0 {
				// Free RAM less the kernel's reserve: below the guest's 32 MiB, above half of it.
				var kib int
				_, after, _ := strings.Cut(r.stdout, "bigbss: memory limit ")
				if _, err := fmt.Sscanf(after, "%d KiB", &kib); err != nil || kib < 16<<10 || kib >= 32<<10 {
					t.Errorf("default memory limit %d KiB (%v); want between 16 and 32 MiB\n%s", kib, err, r.describe())
				}
			}
		})
	}
}

// TestHTTPSmallMemory loads the stock net/http server in small guests with
// wrk: no errors, and the guest still answers and runs afterwards (issue 4,
// acceptance point 5: serves under load in 32 MiB).
func TestHTTPSmallMemory(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed: apt-get install wrk (scripts/test installs it)")
	}
	img := image(t, "../../examples/httpserver")
	for _, c := range []struct{ mem, timeout string }{
		{"32M", "2s"}, // wrk's default
		// In 16 MiB the program has ~4.5 MiB and the Go runtime collects
		// about once a request; a few requests then wait up to ~1.8 s for
		// their goroutine to run (docs/adr/0012-kernel-tcp.md, "The 16 MiB
		// latency tail": open, not the network). Served is served: a
		// request answered in 2-5 s is not an error here, a lost one is.
		{"16M", "5s"},
	} {
		t.Run(c.mem, func(t *testing.T) { loadHTTP(t, img, []string{"-m", c.mem}, "-d10s", "--timeout", c.timeout) })
	}
}
