package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHTTPSoak boots examples/httpserver again and again. From the start
// it opens a fresh connection every 50 ms and asks the moment it is
// accepted, until one is answered: that probes the moment the program
// starts listening. Then, right after the first answer, it sends
// requests on a keep-alive connection, on fresh connections, on
// concurrent ones, and on one that stays silent for a while before it
// asks. Once the server has answered once, every request must be
// answered: an EOF then is a dropped connection, a bug.
//
// What may fail before the first answer depends on the network:
//   - user networking (-p): QEMU accepts on the host port before the
//     guest runs; a connection that reaches the guest before the program
//     listens is reset there, and the host client sees EOF (or a reset);
//     one made before the guest's network is up waits for QEMU to resend
//     its SYN (~7 s; on a very slow boot it times out).
//     That is what `unigo run -p` promises, as docker-proxy does: clients
//     retry until the program listens.
//   - tap: connecting fails (refused, no route, timeout) until the program
//     listens; a connection that the guest accepted must be answered,
//     even the very first one.
//
// The default is one boot of each variant (microvm and q35, user and tap
// networking; tap needs root). UNIGO_SOAK=N boots each variant N times
// and UNIGO_SOAK_VARIANTS (e.g. "q35/user,microvm/tap") picks variants;
// go test's -parallel sets how many guests run at once (default: the
// number of CPUs). Example: 100 boots, 4 at a time:
//
//	UNIGO_E2E=1 UNIGO_SOAK=25 go test -count=1 -parallel 4 -run TestHTTPSoak -timeout 2h ./test/e2e/
func TestHTTPSoak(t *testing.T) {
	img := image(t, "../../examples/httpserver")
	boots := 1
	if s := os.Getenv("UNIGO_SOAK"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("UNIGO_SOAK=%q: want a number of boots per variant ≥ 1", s)
		}
		boots = n
	}
	variants := []string{"microvm/user", "q35/user", "microvm/tap", "q35/tap"}
	if s := os.Getenv("UNIGO_SOAK_VARIANTS"); s != "" {
		variants = strings.Split(s, ",")
	}
	for _, v := range variants {
		m, n, ok := strings.Cut(v, "/")
		if !ok || (m != "microvm" && m != "q35" && m != "pc") || (n != "user" && n != "tap") {
			t.Fatalf("UNIGO_SOAK_VARIANTS: %q is not MACHINE/NET (MACHINE microvm, q35 or pc; NET user or tap)", v)
		}
	}
	var sum soakSummary
	t.Run("boots", func(t *testing.T) {
		for i := 0; i < boots; i++ {
			for _, v := range variants {
				t.Run(fmt.Sprintf("%s/%d", v, i), func(t *testing.T) {
					t.Parallel()
					m, n, _ := strings.Cut(v, "/")
					res := soakResult{preReady: map[string]int{}}
					defer func() {
						// Also after Fatal and Skip.
						res.failed, res.skipped = t.Failed(), t.Skipped()
						sum.add(v, res)
					}()
					soakBoot(t, img, m, n, &res)
				})
			}
		}
	})
	t.Logf("soak summary:\n%s", sum.String())
}

// soakInFlight bounds the first requests under way at once (under user
// networking those made before the guest's network is up wait ~7 s).
const soakInFlight = 100

// soakResult is what one boot saw.
type soakResult struct {
	skipped  bool
	failed   bool
	ready    time.Duration  // from start to the first answer
	preReady map[string]int // errors before the first answer, by kind
}

type soakSummary struct {
	mu       sync.Mutex
	boots    map[string]int
	failed   map[string]int
	preReady map[string]map[string]int
	ready    map[string][]time.Duration
}

func (s *soakSummary) add(variant string, r soakResult) {
	if r.skipped {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.boots == nil {
		s.boots, s.failed, s.preReady, s.ready = map[string]int{}, map[string]int{}, map[string]map[string]int{}, map[string][]time.Duration{}
	}
	s.boots[variant]++
	if r.failed {
		s.failed[variant]++
	}
	if s.preReady[variant] == nil {
		s.preReady[variant] = map[string]int{}
	}
	for k, n := range r.preReady {
		s.preReady[variant][k] += n
	}
	if r.ready > 0 {
		s.ready[variant] = append(s.ready[variant], r.ready)
	}
}

func (s *soakSummary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	var vs []string
	for v := range s.boots {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, v := range vs {
		d := s.ready[v]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		med := time.Duration(0)
		if len(d) > 0 {
			med = d[len(d)/2]
		}
		var kinds []string
		for k, n := range s.preReady[v] {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(kinds)
		if len(kinds) == 0 {
			kinds = []string{"no errors"}
		}
		fmt.Fprintf(&b, "  %s: %d boots, %d failed; first answer after %v (median); before it: %s\n",
			v, s.boots[v], s.failed[v], med.Round(10*time.Millisecond), strings.Join(kinds, ", "))
	}
	return b.String()
}

// soakBoot boots the server once on machine m with network mode netMode
// and checks it as TestHTTPSoak describes.
func soakBoot(t *testing.T, img, m, netMode string, res *soakResult) {
	var (
		g    *bgGuest
		base string
		dial func(ctx context.Context, network, addr string) (net.Conn, error)
	)
	start := time.Now()
	switch netMode {
	case "user":
		port := freePort(t)
		base = fmt.Sprintf("127.0.0.1:%d", port)
		g = startGuest(t, "run", timeoutFlag(), "--machine", m, "-p", base+":8080", img)
		dial = (&net.Dialer{}).DialContext
	case "tap":
		n := newTestNet(t, "tap0")
		base = "10.99.0.2:8080"
		g = n.guest(t, "run", timeoutFlag(), "--machine", m, "--net", "tap:tap0", "--ip", "10.99.0.2/24", "--gw", "10.99.0.1", img)
		dial = n.dialContext
	}
	client := func(keepAlive bool) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				return dial(ctx, network, addr)
			},
			DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 4,
		}}
	}
	get := func(c *http.Client, path string) error {
		resp, err := c.Get("http://" + base + path)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "Hello from unigo! You asked for " + path + "\n"; err != nil || resp.StatusCode != 200 || string(body) != want {
			return fmt.Errorf("GET %s: %s %q (read error %v), want 200 %q", path, resp.Status, body, err, want)
		}
		return nil
	}

	// The first requests: a fresh connection every 50 ms from the start
	// (at most soakInFlight at a time), each asking the moment it is
	// accepted, until one is answered; then those still under way finish.
	// That probes the moment the program starts listening.
	fresh := client(false)
	type attempt struct {
		n   int
		err error
	}
	results := make(chan attempt, soakInFlight)
	inFlight, sent, answered := 0, 0, false
	var bad []string
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(guestTimeout)
	for !answered || inFlight > 0 {
		select {
		case <-tick.C:
			if answered || inFlight >= soakInFlight {
				continue
			}
			n := sent
			sent++
			inFlight++
			go func() { results <- attempt{n, get(fresh, fmt.Sprintf("/first%d", n))} }()
		case a := <-results:
			inFlight--
			if a.err == nil {
				if !answered {
					answered, res.ready = true, time.Since(start)
				}
				continue
			}
			kind := soakErrKind(a.err)
			res.preReady[kind]++
			switch {
			case strings.HasPrefix(kind, "dial"):
				// Not listening yet: nothing was accepted.
			case netMode == "user" && (kind == "EOF" || kind == "reset"):
				// Accepted by QEMU on the host, reset by the guest
				// before the program listened.
			case netMode == "user" && kind == "timeout":
				// Accepted by QEMU on the host while the guest's network
				// was down, and still down at QEMU's SYN retransmissions
				// (a slow boot on a loaded machine).
			default:
				bad = append(bad, fmt.Sprintf("request %d: %v (%s)", a.n, a.err, kind))
			}
		case <-g.done:
			t.Fatalf("guest exited (status %d) before answering\n%s", g.status, g.describe())
		case <-timeout:
			t.Fatalf("no answer within %v; errors so far: %v\n%s", guestTimeout, res.preReady, g.describe())
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d requests on connections the guest had accepted failed:\n%s\n%s", len(bad), strings.Join(bad, "\n"), g.describe())
	}

	// Right after the first answer: keep-alive, fresh, concurrent, and a
	// connection that waits before it asks.
	ka := client(true)
	for i := 0; i < 5; i++ {
		if err := get(ka, fmt.Sprintf("/keepalive%d", i)); err != nil {
			t.Fatalf("keep-alive request %d right after the first answer: %v\n%s", i, err, g.describe())
		}
		if err := get(fresh, fmt.Sprintf("/fresh%d", i)); err != nil {
			t.Fatalf("request %d on a new connection right after the first answer: %v\n%s", i, err, g.describe())
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 2; j++ {
				if err := get(fresh, fmt.Sprintf("/concurrent%d-%d", i, j)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent requests: %v", err)
	}
	if err := soakSlowRequest(dial, base, 300*time.Millisecond); err != nil {
		t.Errorf("a connection silent for 300 ms before its request: %v", err)
	}
	if t.Failed() {
		t.Fatalf("guest:\n%s", g.describe())
	}

	g.cmd.Process.Signal(syscall.SIGTERM)
	if st := g.wait(t, time.Minute); st != 0 || !strings.Contains(g.out.String(), "httpserver: shut down") {
		t.Errorf("after SIGTERM: status %d, want 0 and a graceful shutdown\n%s", st, g.describe())
	}
}

// soakSlowRequest connects, stays silent for wait, then asks.
func soakSlowRequest(dial func(ctx context.Context, network, addr string) (net.Conn, error), addr string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	time.Sleep(wait)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: unigo\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "Hello from unigo! You asked for /slow\n"; err != nil || string(body) != want {
		return fmt.Errorf("%s %q (read error %v), want %q", resp.Status, body, err, want)
	}
	return nil
}

// soakErrKind names the kind of a failed request.
func soakErrKind(err error) string {
	var op *net.OpError
	dialErr := errors.As(err, &op) && op.Op == "dial"
	kind := "other: " + err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		kind = "unreachable"
	case errors.Is(err, syscall.ECONNRESET):
		kind = "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		kind = "EOF"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		kind = "timeout"
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			kind = "timeout"
		}
	}
	if dialErr {
		return "dial " + kind
	}
	return kind
}

// dialContext connects from inside the namespace: the socket is made on
// a thread that has entered it (a socket keeps its namespace).
func (n *testNet) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	ns, err := os.Open("/var/run/netns/" + n.ns)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering network namespace %s: %v", n.ns, err)
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
		runtime.UnlockOSThread() // else the thread ends with the goroutine
	}
	return c, err
}
