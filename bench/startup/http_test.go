package startup

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
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
			if err := getN(c, fmt.Sprintf("http://127.0.0.1:%d/", port), tc.n); err != nil {
				t.Fatalf("getN: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := tc.resets + 1; conns != want {
				t.Errorf("waitReady then %d requests opened %d connections; want %d (the resets and the proven one)", tc.n, conns, want)
			}
		})
	}
}
