package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Networking tests: guests with a virtio-net device, reached from the
// host through QEMU's user networking (-p) or a tap device.

// bgGuest is a unigo run in the background.
type bgGuest struct {
	args     []string
	qemuLine string
	cmd      *exec.Cmd
	out      syncBuffer
	done     chan struct{}
	status   int
}

// startGuest starts unigo with args; the guest is killed when the test ends.
func startGuest(t *testing.T, args ...string) *bgGuest {
	return startGuestCmd(t, nil, args...)
}

// startGuestCmd starts unigo under a prefix command (such as ip netns
// exec NS).
func startGuestCmd(t *testing.T, prefix []string, args ...string) *bgGuest {
	t.Helper()
	g := &bgGuest{args: args, done: make(chan struct{})}
	dry := append(append(append([]string{}, prefix...), unigoBin, args[0], "--dry-run"), args[1:]...)
	if out, err := exec.Command(dry[0], dry[1:]...).Output(); err == nil {
		g.qemuLine = strings.TrimSpace(string(out))
	}
	full := append(append(append([]string{}, prefix...), unigoBin), args...)
	g.cmd = exec.Command(full[0], full[1:]...)
	g.cmd.Stdout, g.cmd.Stderr = &g.out, &g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("starting unigo: %v", err)
	}
	go func() {
		g.cmd.Wait()
		g.status = g.cmd.ProcessState.ExitCode()
		close(g.done)
	}()
	t.Cleanup(func() {
		select {
		case <-g.done:
		default:
			g.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-g.done:
			case <-time.After(10 * time.Second):
				g.cmd.Process.Kill()
				<-g.done
			}
		}
	})
	return g
}

func (g *bgGuest) describe() string {
	return fmt.Sprintf("command: %s %s\nqemu command: %s\n--- output\n%s", unigoBin, shellJoin(g.args), g.qemuLine, g.out.String())
}

// wait waits for the guest to exit and returns its status.
func (g *bgGuest) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-g.done:
		return g.status
	case <-time.After(d):
		t.Fatalf("guest still running after %v\n%s", d, g.describe())
	}
	return -1
}

// freePort returns a host port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHTTP polls url until it answers 200 or the guest exits.
func waitHTTP(t *testing.T, g *bgGuest, url string) string {
	t.Helper()
	deadline := time.Now().Add(guestTimeout)
	c := &http.Client{Timeout: 20 * time.Second}
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				return string(body)
			}
		}
		select {
		case <-g.done:
			t.Fatalf("guest exited (status %d) before answering %s\n%s", g.status, url, g.describe())
		case <-time.After(time.Second):
		}
	}
	t.Fatalf("no answer from %s within %v\n%s", url, guestTimeout, g.describe())
	return ""
}

// TestHTTPServer: examples/httpserver (stock net/http) in a guest answers
// the host through -p, on the MMIO (microvm) and PCI/MSI-X (q35)
// transports: a page, a 4 MiB download (more than the socket rings hold:
// flow control), an upload echoed back, many requests on one connection
// and on new ones; then SIGTERM shuts it down gracefully.
func TestHTTPServer(t *testing.T) {
	img := image(t, "../../examples/httpserver")
	for _, m := range []string{"microvm", "q35"} {
		t.Run(m, func(t *testing.T) {
			port := freePort(t)
			g := startGuest(t, "run", timeoutFlag(), "--machine", m, "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), img)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			if body := waitHTTP(t, g, base+"/hello"); body != "Hello from unigo! You asked for /hello\n" {
				t.Fatalf("GET /hello = %q\n%s", body, g.describe())
			}
			c := &http.Client{Timeout: 60 * time.Second}

			const n = 4 << 20
			resp, err := c.Get(fmt.Sprintf("%s/bytes?n=%d", base, n))
			if err != nil {
				t.Fatalf("download: %v\n%s", err, g.describe())
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := make([]byte, n)
			for i := 0; i < n; i++ {
				want[i] = byte('a' + i%(32<<10)%26)
			}
			if err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
				t.Fatalf("download: %d bytes (want %d), err %v, checksum mismatch: %v\n%s", len(got), n, err, !bytes.Equal(got, want), g.describe())
			}

			up := make([]byte, 300<<10)
			rand.New(rand.NewSource(1)).Read(up)
			resp, err = c.Post(base+"/echo", "application/octet-stream", bytes.NewReader(up))
			if err != nil {
				t.Fatalf("upload: %v\n%s", err, g.describe())
			}
			echo, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(echo, up) {
				t.Fatalf("echo: got %d bytes, err %v; want the %d bytes sent\n%s", len(echo), err, len(up), g.describe())
			}

			fresh := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for i := 0; i < 20; i++ {
				for _, cl := range []*http.Client{c, fresh} {
					resp, err := cl.Get(fmt.Sprintf("%s/r%d", base, i))
					if err != nil {
						t.Fatalf("request %d: %v\n%s", i, err, g.describe())
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if want := fmt.Sprintf("Hello from unigo! You asked for /r%d\n", i); string(b) != want {
						t.Fatalf("request %d: %q, want %q\n%s", i, b, want, g.describe())
					}
				}
			}

			g.cmd.Process.Signal(syscall.SIGTERM)
			if st := g.wait(t, time.Minute); st != 0 || !strings.Contains(g.out.String(), "httpserver: shut down") {
				t.Errorf("after SIGTERM: status %d, want 0 and a graceful shutdown\n%s", st, g.describe())
			}
		})
	}
}

// TestNetLoopback: TCP over 127.0.0.1 and ::1 (8 MiB echoed), a
// dual-stack listener reached over IPv4, EADDRINUSE, ECONNREFUSED, UDP and
// /etc/hosts lookups, all inside one guest (nettest loopback).
func TestNetLoopback(t *testing.T) {
	img := image(t, "../programs/nettest")
	r := unigo(t, "run", timeoutFlag(), img, "--", "loopback")
	if r.status != 0 || !strings.Contains(r.stdout, "loopback: OK") {
		t.Errorf("nettest loopback: want status 0 and OK\n%s", r.describe())
	}
}

// TestUDPEcho: a UDP echo server in the guest answers a host client
// through -p PORT:5353/udp.
func TestUDPEcho(t *testing.T) {
	img := image(t, "../programs/nettest")
	port := freePort(t)
	g := startGuest(t, "run", timeoutFlag(), "-p", fmt.Sprintf("127.0.0.1:%d:5353/udp", port), img, "--", "udpecho", ":5353")
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(guestTimeout)
	buf := make([]byte, 65536)
	for i := 0; i < 50; {
		msg := []byte(fmt.Sprintf("datagram %d %s", i, strings.Repeat("u", i*20)))
		c.Write(msg)
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			// The guest may still be booting (QEMU drops datagrams until it listens).
			if time.Now().After(deadline) {
				t.Fatalf("datagram %d: no echo within %v: %v\n%s", i, guestTimeout, err, g.describe())
			}
			select {
			case <-g.done:
				t.Fatalf("guest exited (status %d)\n%s", g.status, g.describe())
			default:
			}
			continue
		}
		if !bytes.Equal(buf[:n], msg) {
			// A late echo of an earlier datagram, sent while booting.
			if bytes.HasPrefix(buf[:n], []byte("datagram ")) {
				continue
			}
			t.Fatalf("datagram %d: echo %q; want %q\n%s", i, buf[:n], msg, g.describe())
		}
		i++
	}
}

// TestGuestDownload: an HTTP client in the guest downloads 50 MiB from a
// server on the host (10.0.2.2 is the host under user networking) and
// checks its SHA-256.
func TestGuestDownload(t *testing.T) {
	img := image(t, "../programs/nettest")
	const size = 50 << 20
	data := make([]byte, size)
	rand.New(rand.NewSource(50)).Read(data)
	sum := sha256.Sum256(data)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "blob", time.Time{}, bytes.NewReader(data))
	})}
	go srv.Serve(l)
	defer srv.Close()
	url := fmt.Sprintf("http://10.0.2.2:%d/blob", l.Addr().(*net.TCPAddr).Port)
	r := unigo(t, "run", timeoutFlag(), img, "--", "get", url, fmt.Sprint(size), fmt.Sprintf("%x", sum))
	if r.status != 0 || !strings.Contains(r.stdout, "get: OK") {
		t.Errorf("guest download: want status 0 and OK\n%s", r.describe())
	}
	t.Logf("%s", strings.TrimSpace(strings.Split(r.stdout, "get: OK")[0]))
}

// hostTool builds a test program for the host, once per run.
func hostTool(t *testing.T, pkg string) string {
	t.Helper()
	setup(t)
	imagesMu.Lock()
	im := images["host:"+pkg]
	if im == nil {
		im = &onceImage{}
		images["host:"+pkg] = im
	}
	imagesMu.Unlock()
	im.once.Do(func() {
		im.path = filepath.Join(tmpDir, "host-"+filepath.Base(pkg))
		if out, err := exec.Command("go", "build", "-o", im.path, pkg).CombinedOutput(); err != nil {
			im.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if im.err != nil {
		t.Fatal(im.err)
	}
	return im.path
}

// testNet is a private network namespace with a bridge, 10.99.0.1/24,
// and tap devices on it for guests.
type testNet struct {
	ns string
}

var netSeq int
var netSeqMu sync.Mutex

func newTestNet(t *testing.T, taps ...string) *testNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("tap networking needs root (network namespaces, tap devices)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not installed: apt-get install iproute2")
	}
	netSeqMu.Lock()
	netSeq++
	n := &testNet{ns: fmt.Sprintf("unigo-e2e-%d-%d", os.Getpid(), netSeq)}
	netSeqMu.Unlock()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", n.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.ns).Run() })
	run("-n", n.ns, "link", "set", "lo", "up")
	run("-n", n.ns, "link", "add", "br0", "type", "bridge")
	run("-n", n.ns, "addr", "add", "10.99.0.1/24", "dev", "br0")
	run("-n", n.ns, "link", "set", "br0", "up")
	for _, tap := range taps {
		run("-n", n.ns, "tuntap", "add", tap, "mode", "tap")
		run("-n", n.ns, "link", "set", tap, "master", "br0")
		run("-n", n.ns, "link", "set", tap, "up")
	}
	return n
}

// cmd runs a command inside the namespace.
func (n *testNet) cmd(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.ns, name}, args...)...)
}

// guest starts unigo run inside the namespace.
func (n *testNet) guest(t *testing.T, args ...string) *bgGuest {
	return startGuestCmd(t, []string{"ip", "netns", "exec", n.ns}, args...)
}

// waitPing pings addr from the namespace until it answers.
func (n *testNet) waitPing(t *testing.T, g *bgGuest, addr string) {
	t.Helper()
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("ping not installed: apt-get install iputils-ping")
	}
	deadline := time.Now().Add(guestTimeout)
	for time.Now().Before(deadline) {
		if out, err := n.cmd("ping", "-c", "3", "-i", "0.2", "-W", "2", addr).CombinedOutput(); err == nil && strings.Contains(string(out), " 0% packet loss") {
			return
		}
		select {
		case <-g.done:
			t.Fatalf("guest exited (status %d) before answering ping\n%s", g.status, g.describe())
		case <-time.After(time.Second):
		}
	}
	t.Fatalf("%s does not answer ping within %v\n%s", addr, guestTimeout, g.describe())
}

// TestTapNetwork: guests on a bridge in a private network namespace
// (--net tap:NAME --ip): the guest answers ping, a host client echoes
// 4 MiB through its TCP server, and a second guest on the same bridge
// talks TCP to the first.
func TestTapNetwork(t *testing.T) {
	img := image(t, "../programs/nettest")
	host := hostTool(t, "../programs/nettest")
	n := newTestNet(t, "tap0", "tap1")
	a := n.guest(t, "run", timeoutFlag(), "--net", "tap:tap0", "--ip", "10.99.0.2/24", "--gw", "10.99.0.1", img, "--", "tcpecho", ":7")
	n.waitPing(t, a, "10.99.0.2")
	if out, err := n.cmd(host, "dial", "10.99.0.2:7", "4").CombinedOutput(); err != nil || !strings.Contains(string(out), "dial: OK") {
		t.Fatalf("host client through the bridge: %v\n%s\n%s", err, out, a.describe())
	}
	b := n.guest(t, "run", timeoutFlag(), "--machine", "q35", "--net", "tap:tap1", "--ip", "10.99.0.3/24", img, "--", "dial", "10.99.0.2:7", "8")
	if st := b.wait(t, guestTimeout); st != 0 || !strings.Contains(b.out.String(), "dial: OK") {
		t.Errorf("guest to guest: status %d\n%s\n--- server guest\n%s", st, b.describe(), a.describe())
	}
}

// TestHostileTraffic: a SYN flood with spoofed sources and malformed
// frames (runts, lying headers, bad offsets, fragments, junk) neither
// crash the guest nor stop its server.
func TestHostileTraffic(t *testing.T) {
	img := image(t, "../programs/nettest")
	host := hostTool(t, "../programs/nettest")
	flood := hostTool(t, "../programs/netflood")
	n := newTestNet(t, "tap0")
	const mac = "52:54:00:99:00:02"
	g := n.guest(t, "run", timeoutFlag(), "--net", "tap:tap0", "--mac", mac, "--ip", "10.99.0.2/24", img, "--", "tcpecho", ":7")
	n.waitPing(t, g, "10.99.0.2")
	out, err := n.cmd(flood, "br0", mac, "10.99.0.2", "7", "10").CombinedOutput()
	if err != nil {
		t.Fatalf("netflood: %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
	// The server still works (the SYN queue may need a moment to drain).
	out, err = n.cmd(host, "dial", "10.99.0.2:7", "1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dial: OK") {
		t.Fatalf("after the flood: %v\n%s\n%s", err, out, g.describe())
	}
	select {
	case <-g.done:
		t.Fatalf("guest exited (status %d) during the flood\n%s", g.status, g.describe())
	default:
	}
}

// TestNetUnix: AF_UNIX sockets in one guest: stream over a path and an
// abstract name (2 MiB echoed), EADDRINUSE, ENOENT, unixpacket message
// boundaries, unixgram with the sender's address, socketpair.
func TestNetUnix(t *testing.T) {
	img := image(t, "../programs/nettest")
	r := unigo(t, "run", timeoutFlag(), img, "--", "unix")
	if r.status != 0 || !strings.Contains(r.stdout, "unix: OK") {
		t.Errorf("nettest unix: want status 0 and OK\n%s", r.describe())
	}
}

// TestStdlibNetInGuest boots the tests of the standard library's
// networking packages. The tests of package net that are skipped, and why:
//
//   - TestInterfaces, TestInterfaceAddrs, TestInterfaceUnicastAddrs,
//     TestInterfaceMulticastAddrs: net.Interfaces reads netlink route
//     sockets (AF_NETLINK), which the kernel does not offer.
//   - TestIPConnLocalName, TestIPConnRemoteName, TestIPConnSpecificMethods:
//     raw IP sockets (SOCK_RAW) are not offered.
//   - TestUnixConnReadMsgUnixSCMRightsCloseOnExec: passing descriptors
//     (SCM_RIGHTS control messages) is not implemented yet.
//   - TestSendfile*: they read ../testdata, outside the package directory
//     that unigo test packs into the guest.
//   - TestSplice: it re-runs the test binary as a subprocess (no exec).
//   - TestTCPReadWriteAllocs, TestAllocs, TestIPAppendTextNoAllocs: they
//     count the process's heap allocations (testing.AllocsPerRun), and the
//     network stack runs in the program's own Go runtime, so whatever it
//     does meanwhile (timers of earlier tests' connections) is counted too
//     (docs/adr/0004).
func TestStdlibNetInGuest(t *testing.T) {
	setup(t)
	cases := []struct {
		pkg  string
		skip string // -test.skip pattern
		mem  string
		long bool // takes minutes under TCG (net/http: ~190 s on a busy host): twice the guest timeout
	}{
		{pkg: "net/url"},
		{pkg: "net/textproto"},
		{pkg: "net/http", mem: "512M", long: true},
		{pkg: "net", mem: "512M", long: true, skip: "^(" +
			"TestInterfaces|TestInterfaceAddrs|TestInterfaceUnicastAddrs|TestInterfaceMulticastAddrs|" +
			"TestIPConnLocalName|TestIPConnRemoteName|TestIPConnSpecificMethods|" +
			"TestUnixConnReadMsgUnixSCMRightsCloseOnExec|" +
			"TestSendfile.*|TestSplice|" +
			"TestTCPReadWriteAllocs|TestAllocs|TestIPAppendTextNoAllocs" +
			")$"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.pkg, "/", "_"), func(t *testing.T) {
			args := []string{"test", timeoutFlag()}
			if c.long {
				args[1] = "--timeout=" + (2 * guestTimeout).String()
			}
			if c.mem != "" {
				args = append(args, "-m", c.mem)
			}
			args = append(args, c.pkg, "--", "-test.short")
			if c.skip != "" {
				args = append(args, "-test.skip", c.skip)
			}
			r := unigo(t, args...)
			if r.status != 0 || !strings.Contains(r.stdout, "ok  \t"+c.pkg) {
				t.Errorf("unigo test %s failed:\n%s", c.pkg, r.describe())
			}
		})
	}
}

// procCPU returns the user+system CPU time of process pid and of its
// children (QEMU runs as unigo's child).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	var total time.Duration
	pids := []int{pid}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		for _, f := range strings.Fields(string(data)) {
			var c int
			fmt.Sscan(f, &c)
			pids = append(pids, c)
		}
	}
	for _, p := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces).
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
		var ut, st int64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		total += time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return total
}

// TestIdleServerBurnsNoCPU: a network server waiting for clients leaves
// the host CPU idle: receive is interrupt driven and the stack sleeps in
// the netpoller (no polling). The bound is loose on purpose.
func TestIdleServerBurnsNoCPU(t *testing.T) {
	img := image(t, "../../examples/httpserver")
	port := freePort(t)
	g := startGuest(t, "run", timeoutFlag(), "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), img)
	waitHTTP(t, g, fmt.Sprintf("http://127.0.0.1:%d/", port))
	time.Sleep(time.Second) // let the connection and timers settle
	cpu0, t0 := procCPU(t, g.cmd.Process.Pid), time.Now()
	time.Sleep(5 * time.Second)
	cpu, wall := procCPU(t, g.cmd.Process.Pid)-cpu0, time.Since(t0)
	t.Logf("idle server: host CPU %v in %v (unigo + QEMU)", cpu, wall.Round(time.Millisecond))
	if cpu > wall/4 {
		t.Errorf("an idle server used %v of host CPU in %v: something polls\n%s", cpu, wall, g.describe())
	}
}

// TestDHCP: with --ip dhcp the guest's stack gets its address, gateway
// and name server from QEMU user networking's DHCP server before main
// runs, then downloads from the host.
func TestDHCP(t *testing.T) {
	img := image(t, "../programs/nettest")
	data := []byte(strings.Repeat("dhcp works\n", 1000))
	sum := sha256.Sum256(data)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) })}
	go srv.Serve(l)
	defer srv.Close()
	url := fmt.Sprintf("http://10.0.2.2:%d/", l.Addr().(*net.TCPAddr).Port)
	r := unigo(t, "run", timeoutFlag(), "--ip", "dhcp", "--kernel-arg", "unigo.net.debug=1", img, "--", "get", url, fmt.Sprint(len(data)), fmt.Sprintf("%x", sum))
	if r.status != 0 || !strings.Contains(r.stdout, "get: OK") ||
		!strings.Contains(r.stdout, "dhcp: 10.0.2.15/24 via 10.0.2.2") || !strings.Contains(r.stdout, "name servers [10.0.2.3]") {
		t.Errorf("guest with DHCP: want a 10.0.2.15/24 lease via 10.0.2.2 with DNS 10.0.2.3 and a download\n%s", r.describe())
	}
}

// TestNetBadInput: wrong network flags get a one-line error naming the
// input and exit status 2, before any guest boots; a host port already in
// use is QEMU's error, reported with its command line.
func TestNetBadInput(t *testing.T) {
	img := image(t, "../programs/nettest")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--net", "tap:lo", "--ip", "10.0.0.0/24"}, "--ip 10.0.0.0/24"},
		{[]string{"--net", "tap:lo", "--ip", "10.0.0.2"}, "--ip 10.0.0.2: add the prefix length"},
		{[]string{"--net", "tap:lo", "--ip", "10.0.0.2/24", "--gw", "192.168.1.1"}, "--gw 192.168.1.1"},
		{[]string{"--net", "tap:unigo-nosuch0"}, "no network interface unigo-nosuch0"},
		{[]string{"-p", "8080:0"}, "-p 8080:0"},
		{[]string{"--net", "user", "--ip", "10.0.0.2/24"}, "--net tap"},
		{[]string{"--net", "wifi"}, "--net wifi"},
		{[]string{"--mac", "ff:ff:ff:ff:ff:ff"}, "--mac ff:ff:ff:ff:ff:ff"},
	} {
		r := unigo(t, append(append([]string{"run"}, tc.args...), img, "--", "loopback")...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.status != 2 || len(lines) != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("unigo run %s: want status 2 and one line with %q\n%s", strings.Join(tc.args, " "), tc.want, r.describe())
		}
	}
	// A host port that is taken.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := l.Addr().(*net.TCPAddr).Port
	r := unigo(t, "run", timeoutFlag(), "-p", fmt.Sprintf("127.0.0.1:%d:80", p), img, "--", "loopback")
	if r.status != 125 || !strings.Contains(r.stderr, "QEMU failed") || !strings.Contains(r.stderr, fmt.Sprint(p)) {
		t.Errorf("-p with a host port in use: want status 125 and QEMU's error naming port %d\n%s", p, r.describe())
	}
}

// TestHTTPLoad: examples/httpserver under wrk for 60 s (8 connections)
// answers every request (no socket errors, no non-2xx answers) and is
// still healthy afterwards. The throughput is logged, not asserted: the
// numbers live in bench/ (go run ./bench/cmd/httpbench).
func TestHTTPLoad(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed: apt-get install wrk (scripts/test installs it)")
	}
	loadHTTP(t, image(t, "../../examples/httpserver"), nil, "-d60s", "--latency")
}

// loadHTTP boots the HTTP server image with the given unigo run flags
// (before the image), loads it with wrk (8 connections; wrkArgs add the
// duration and more) and fails on any socket error or non-2xx answer, or
// when the guest does not answer or has exited afterwards.
func loadHTTP(t *testing.T, img string, runFlags []string, wrkArgs ...string) {
	t.Helper()
	port := freePort(t)
	args := append([]string{"run", timeoutFlag()}, runFlags...)
	g := startGuest(t, append(args, "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), img)...)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitHTTP(t, g, url)
	out, err := exec.Command("wrk", append(append([]string{"-t1", "-c8"}, wrkArgs...), url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	t.Logf("wrk:\n%s", out)
	if !strings.Contains(string(out), "Requests/sec:") || strings.Contains(string(out), "Socket errors") || strings.Contains(string(out), "Non-2xx") {
		t.Errorf("load run had errors:\n%s\n%s", out, g.describe())
	}
	if body := waitHTTP(t, g, url+"after"); !strings.Contains(body, "/after") {
		t.Errorf("after the load: %q\n%s", body, g.describe())
	}
	select {
	case <-g.done:
		t.Errorf("guest exited (status %d)\n%s", g.status, g.describe())
	default:
	}
}
