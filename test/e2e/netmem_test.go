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
// cleanly (status 137 and the kernel's message).
func TestDemandZeroBSS(t *testing.T) {
	img := image(t, "../programs/bigbss")
	tests := []struct {
		name   string
		mib    string
		status int
		want   string
	}{
		{"touch 4 MiB", "4", 0, "bigbss: 48 MiB array, 4 MiB touched, contents right"},
		{"touch 16 MiB", "16", 0, "bigbss: 48 MiB array, 16 MiB touched, contents right"},
		{"touch all", "48", 137, "out of memory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := unigo(t, "run", timeoutFlag(), "-m", "32M", img, "--", tc.mib)
			if r.status != tc.status || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("status %d; want %d and output containing %q\n%s", r.status, tc.status, tc.want, r.describe())
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
	for _, mem := range []string{"32M"} {
		t.Run(mem, func(t *testing.T) {
			port := freePort(t)
			g := startGuest(t, "run", timeoutFlag(), "-m", mem, "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), img)
			url := fmt.Sprintf("http://127.0.0.1:%d/", port)
			waitHTTP(t, g, url)
			out, err := exec.Command("wrk", "-t1", "-c8", "-d10s", url).CombinedOutput()
			if err != nil {
				t.Fatalf("wrk: %v\n%s", err, out)
			}
			t.Logf("wrk in %s:\n%s", mem, out)
			if !strings.Contains(string(out), "Requests/sec:") || strings.Contains(string(out), "Socket errors") || strings.Contains(string(out), "Non-2xx") {
				t.Errorf("load run in %s had errors:\n%s\n%s", mem, out, g.describe())
			}
			if body := waitHTTP(t, g, url+"after"); !strings.Contains(body, "/after") {
				t.Errorf("after the load: %q\n%s", body, g.describe())
			}
			select {
			case <-g.done:
				t.Errorf("guest exited (status %d)\n%s", g.status, g.describe())
			default:
			}
		})
	}
}
