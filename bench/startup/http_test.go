package startup

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestCountedRequestsRideTheProvenConnection: the instruction runs send
// their requests over the keep-alive connection waitReady's answer
// proved, not a fresh one (whose first request -icount sleep=off can time
// out in the guest). The server resets the first connections, as a guest
// does before its program listens.
func TestCountedRequestsRideTheProvenConnection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		resets int // connections closed unanswered before the server serves
		n      int // counted requests
	}{
		{"ready at once", 0, 50},
		{"two resets first", 2, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			conns := 0
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintln(w, "hello")
			}))
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				if s != http.StateNew {
					return
				}
				mu.Lock()
				conns++
				reset := conns <= tc.resets
				mu.Unlock()
				if reset {
					c.Close()
				}
			}
			srv.Start()
			defer srv.Close()
			port := srv.Listener.Addr().(*net.TCPAddr).Port

			g := &guestProc{done: make(chan error, 1)}
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			if err := waitReady(context.Background(), g, port, c); err != nil {
				t.Fatalf("waitReady: %v", err)
			}
			if retried, err := getN(c, fmt.Sprintf("http://127.0.0.1:%d/", port), tc.n); err != nil || retried != 0 {
				t.Fatalf("getN = %d retries, %v; want 0, nil", retried, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := tc.resets + 1; conns != want {
				t.Errorf("waitReady then %d requests opened %d connections; want %d (the resets and the proven one)", tc.n, conns, want)
			}
		})
	}
}

// TestGetNRetries: getN sends a request that went unanswered (the
// connection closed under it) again on a new connection, at most
// maxRetries times in a run; a wrong answer is an error at once.
func TestGetNRetries(t *testing.T) {
	for _, tc := range []struct {
		name        string
		drop        func(req int) bool // close the connection unanswered
		status      int
		wantRetried int
		wantErr     string
	}{
		{"no drops", func(int) bool { return false }, 200, 0, ""},
		// net/http sends a GET that a reused connection dropped again by
		// itself, once: getN sees a drop only when that fails too.
		{"a drop the transport retried", func(req int) bool { return req == 10 }, 200, 0, ""},
		{"a drop and the transport's retry", func(req int) bool { return req == 10 || req == 11 }, 200, 1, ""},
		{"two such", func(req int) bool { return req == 10 || req == 11 || req == 20 || req == 21 }, 200, 2, ""},
		{"every request after the 5th", func(req int) bool { return req >= 5 }, 200, maxRetries, "request 5: "},
		{"an error status", func(int) bool { return false }, 500, 0, "500 Internal Server Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			reqs := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n := reqs
				reqs++
				mu.Unlock()
				if tc.drop(n) {
					c, _, err := http.NewResponseController(w).Hijack()
					if err == nil {
						c.Close()
					}
					return
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			retried, err := getN(c, srv.URL, 30)
			if retried != tc.wantRetried || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("getN = %d retries, %v; want %d, an error with %q", retried, err, tc.wantRetried, tc.wantErr)
			}
		})
	}
}
