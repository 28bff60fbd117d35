// Command nettest exercises networking from inside a guest (test/e2e):
//
//	nettest udpecho ADDR          UDP echo server (prints "udpecho: ready")
//	nettest tcpecho ADDR          TCP echo server (prints "tcpecho: ready")
//	nettest get URL SIZE SHA256   download URL, check its size and checksum
//	nettest loopback              TCP and UDP over 127.0.0.1 and ::1 in one program,
//	                              plus the errors Linux gives (EADDRINUSE, ECONNREFUSED)
//	nettest dial ADDR MIB         send MIB MiB to a tcpecho server and check the echo
//	nettest unix                  AF_UNIX stream (path and abstract), unixpacket,
//	                              unixgram and socketpair in one program
//	nettest httpproxy ADDR        HTTP server (prints "httpproxy: ready on ADDR"):
//	                              / names it, /get?url=URL fetches URL (an
//	                              outbound connection) and returns the body;
//	                              SIGTERM shuts it down
//
// Each prints "<mode>: OK" and exits 0 on success, or says what failed and
// exits 1. It behaves the same as a Linux process (run it with go run).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: nettest udpecho|tcpecho|get|loopback|dial ...")
	}
	var err error
	switch mode, args := os.Args[1], os.Args[2:]; {
	case mode == "udpecho" && len(args) == 1:
		err = udpEcho(args[0])
	case mode == "tcpecho" && len(args) == 1:
		err = tcpEcho(args[0])
	case mode == "get" && len(args) == 3:
		err = get(args[0], args[1], args[2])
	case mode == "loopback" && len(args) == 0:
		err = loopback()
	case mode == "dial" && len(args) == 2:
		err = dial(args[0], args[1])
	case mode == "unix" && len(args) == 0:
		err = unixSockets()
	case mode == "httpproxy" && len(args) == 1:
		err = httpProxy(args[0])
	default:
		fail("nettest: bad arguments %q", os.Args[1:])
	}
	if err != nil {
		fail("%s: %v", os.Args[1], err)
	}
	fmt.Printf("%s: OK\n", os.Args[1])
}

func fail(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func udpEcho(addr string) error {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("udpecho: ready on %s\n", c.LocalAddr())
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil {
			return err
		}
	}
}

func tcpEcho(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("tcpecho: ready on %s\n", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func get(url, size, sum string) error {
	want, err := strconv.ParseInt(size, 10, 64)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return fmt.Errorf("after %d bytes: %v", n, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if n != want || got != sum {
		return fmt.Errorf("got %d bytes with sha256 %s; want %d bytes with %s", n, got, want, sum)
	}
	d := time.Since(start)
	fmt.Printf("get: %d bytes in %v (%.1f MiB/s)\n", n, d.Round(time.Millisecond), float64(n)/d.Seconds()/(1<<20))
	return nil
}

// loopback checks TCP and UDP between goroutines of this program.
func loopback() error {
	for _, network := range []string{"tcp4", "tcp6"} {
		host := "127.0.0.1"
		if network == "tcp6" {
			host = "::1"
		}
		if err := tcpRoundTrip(network, net.JoinHostPort(host, "0"), 8<<20); err != nil {
			return fmt.Errorf("%s: %v", network, err)
		}
	}
	// A dual-stack listener ([::]) reached over IPv4.
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	go func() {
		c, err := l.Accept()
		if err == nil {
			fmt.Fprintf(c, "hi %s", c.RemoteAddr().(*net.TCPAddr).IP)
			c.Close()
		}
	}()
	c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("dual-stack listener over IPv4: %v", err)
	}
	b, _ := io.ReadAll(c)
	c.Close()
	if string(b) != "hi 127.0.0.1" {
		return fmt.Errorf("dual-stack listener said %q; want %q", b, "hi 127.0.0.1")
	}
	// The port is taken while l listens.
	if l2, err := net.Listen("tcp", fmt.Sprintf(":%d", port)); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		if l2 != nil {
			l2.Close()
		}
		return fmt.Errorf("second listener on port %d: %v; want EADDRINUSE", port, err)
	}
	l.Close()
	// Nothing listens now.
	if _, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("dial to a closed port: %v; want ECONNREFUSED", err)
	}
	// UDP.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer pc.Close()
	uc, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		return err
	}
	defer uc.Close()
	for i := 0; i < 100; i++ {
		msg := []byte(fmt.Sprintf("datagram %d %s", i, bytes.Repeat([]byte("x"), i*100)))
		if _, err := uc.Write(msg); err != nil {
			return err
		}
		buf := make([]byte, 65536)
		pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("udp datagram %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], msg) || from.String() != uc.LocalAddr().String() {
			return fmt.Errorf("udp datagram %d: %d bytes from %v; want %d from %v", i, n, from, len(msg), uc.LocalAddr())
		}
	}
	// Name resolution through /etc/hosts.
	addrs, err := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("lookup localhost: %v %v", addrs, err)
	}
	return nil
}

// tcpRoundTrip sends n bytes through an echo server at laddr, with the
// writer and the reader in separate goroutines.
func tcpRoundTrip(network, laddr string, n int) error {
	l, err := net.Listen(network, laddr)
	if err != nil {
		return err
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := net.Dial(network, l.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	return echoCheck(c, n)
}

func echoCheck(c net.Conn, n int) error {
	data := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(data)
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, werr = c.Write(data)
		if cw, ok := c.(interface{ CloseWrite() error }); ok && werr == nil {
			werr = cw.CloseWrite()
		}
	}()
	got, err := io.ReadAll(c)
	wg.Wait()
	if werr != nil {
		return fmt.Errorf("write: %v", werr)
	}
	if err != nil {
		return fmt.Errorf("read after %d bytes: %v", len(got), err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("echo differs: sent %d bytes, got %d", len(data), len(got))
	}
	return nil
}

func dial(addr, mib string) error {
	n, err := strconv.Atoi(mib)
	if err != nil {
		return err
	}
	var c net.Conn
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err = net.DialTimeout("tcp", addr, 10*time.Second)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return echoCheck(c, n<<20)
}

// unixSockets checks AF_UNIX sockets between goroutines of this program.
func unixSockets() error {
	dir, err := os.MkdirTemp("", "nettest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, addr := range []string{dir + "/stream.sock", "@nettest-abstract"} {
		l, err := net.Listen("unix", addr)
		if err != nil {
			return err
		}
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			io.Copy(c, c)
		}()
		c, err := net.Dial("unix", addr)
		if err != nil {
			return err
		}
		if err := echoCheck(c, 2<<20); err != nil {
			return fmt.Errorf("unix %s: %v", addr, err)
		}
		c.Close()
		l.Close()
	}
	if st, err := os.Stat(dir + "/stream.sock"); err == nil && st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s: mode %v, not a socket", dir+"/stream.sock", st.Mode())
	}
	// A name in use.
	l, err := net.Listen("unix", "@nettest-busy")
	if err != nil {
		return err
	}
	if l2, err := net.Listen("unix", "@nettest-busy"); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		if l2 != nil {
			l2.Close()
		}
		return fmt.Errorf("second listener on @nettest-busy: %v; want EADDRINUSE", err)
	}
	l.Close()
	if _, err := net.Dial("unix", dir+"/nobody"); !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("dial to a missing path: %v; want ENOENT", err)
	}
	// Message boundaries: unixpacket and unixgram.
	pl, err := net.Listen("unixpacket", dir+"/packet.sock")
	if err != nil {
		return err
	}
	defer pl.Close()
	go func() {
		c, err := pl.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			c.Write(buf[:n])
		}
	}()
	pc, err := net.Dial("unixpacket", dir+"/packet.sock")
	if err != nil {
		return err
	}
	defer pc.Close()
	for i := 1; i < 50; i++ {
		msg := bytes.Repeat([]byte{byte(i)}, i*97)
		pc.Write(msg)
		buf := make([]byte, 65536)
		n, err := pc.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			return fmt.Errorf("unixpacket message %d: %d bytes, %v; want %d", i, n, err, len(msg))
		}
	}
	g1, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: dir + "/g1", Net: "unixgram"})
	if err != nil {
		return err
	}
	defer g1.Close()
	g2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: dir + "/g2", Net: "unixgram"})
	if err != nil {
		return err
	}
	defer g2.Close()
	if _, err := g1.WriteToUnix([]byte("hello g2"), g2.LocalAddr().(*net.UnixAddr)); err != nil {
		return err
	}
	buf := make([]byte, 100)
	n, from, err := g2.ReadFromUnix(buf)
	if err != nil || string(buf[:n]) != "hello g2" || from == nil || from.Name != dir+"/g1" {
		return fmt.Errorf("unixgram: %q from %v, %v; want \"hello g2\" from %s", buf[:n], from, err, dir+"/g1")
	}
	// socketpair, through os.File and net.FileConn.
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	f0, f1 := os.NewFile(uintptr(fds[0]), "sp0"), os.NewFile(uintptr(fds[1]), "sp1")
	c0, err := net.FileConn(f0)
	if err != nil {
		return err
	}
	c1, err := net.FileConn(f1)
	if err != nil {
		return err
	}
	f0.Close()
	f1.Close()
	go func() { io.Copy(c1, c1); c1.Close() }()
	if err := echoCheck(c0, 1<<20); err != nil {
		return fmt.Errorf("socketpair: %v", err)
	}
	return nil
}

// httpProxy serves HTTP on addr: / answers with the address, /get?url=URL
// fetches URL and returns its body (or 502 with the error).
func httpProxy(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "nettest httpproxy on %s\n", addr)
	})
	client := &http.Client{Timeout: 10 * time.Second}
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		io.Copy(w, resp.Body)
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	fmt.Printf("httpproxy: ready on %s\n", addr)
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}
