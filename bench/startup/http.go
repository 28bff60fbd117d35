package startup

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/cmdline"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// The HTTP benchmark (issue 4): the same stock net/http server
// (examples/httpserver) as a unigo unikernel and as the program of a
// minimal Linux guest (Debian's cloud kernel, the server exec'd by
// bench/programs/netinit as PID 1), on the same QEMU command line (q35,
// TCG, virtio-net, user networking with a forwarded port), loaded by the
// same wrk in the same run; then guest instructions per request under
// -icount, and whether the unikernel serves under load in small guests.

const (
	httpServerPkg = "./examples/httpserver"
	httpMemPkg    = "./bench/programs/httpmem"
)

// linuxNetModules are the Debian cloud kernel's modules for virtio-net
// over PCI, in load order.
var linuxNetModules = []string{
	"kernel/drivers/virtio/virtio_ring.ko",
	"kernel/drivers/virtio/virtio.ko",
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
	"kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko",
	"kernel/net/core/failover.ko",
	"kernel/drivers/net/net_failover.ko",
	"kernel/drivers/net/virtio_net.ko",
}

type httpGuest struct {
	Name    string
	Args    []string // QEMU arguments
	Load    *wrkResult
	LoadErr error
	// Guest instructions per request (-icount), from two runs of
	// different request counts.
	InsnsPerReq float64
	InsnsErr    error
	// Profile is where those instructions go, per function (the
	// unikernel only: its symbols are in its image).
	Profile []funcCost
}

type wrkResult struct {
	Requests   float64 // requests/s
	Total      int     // requests completed
	Latency    map[string]string
	Errors     string // socket errors and non-2xx lines, "" when none
	Raw        string
	Duration   time.Duration
	Conns, Thr int
}

type smallGuest struct {
	MiB   int
	Load  *wrkResult
	Err   error
	Alive bool
	// Mem is bench/programs/httpmem's /mem (KiB by field) fetched in the
	// middle of the same load in a guest of the same size; MemErr says why
	// it is missing.
	Mem    map[string]int
	MemErr error
}

type httpReport struct {
	Date        time.Time
	Env         report // host facts (only the environment fields)
	Machine     string
	MemMiB      int
	Guests      []*httpGuest
	Small       []smallGuest
	LinuxKernel linuxKernel
	ReqCounts   [2]int
	ProfileTop  int
}

// RunHTTP runs the HTTP benchmark with command-line args (without the
// program name), prints the report and writes it under the results
// directory.
func RunHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("httpbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cacheDir   = fs.String("cache", "", "cache `dir` (default <repo>/bench/.cache)")
		resultsDir = fs.String("results", "", "write the report into `dir` (default <repo>/bench/results; \"-\": do not write)")
		kernelPath = fs.String("linux-kernel", "", "baseline Linux `vmlinuz` (default: Debian's "+kernelMeta+"); its modules come from the same package")
		duration   = fs.Duration("d", 30*time.Second, "wrk `duration` of each load run")
		conns      = fs.Int("c", 8, "wrk `connections`")
		mem        = fs.Int("m", 256, "guest memory in `MiB` for the comparison")
		machine    = fs.String("machine", "q35", "QEMU `machine` for both guests")
		small      = fs.String("small", "32,16", "comma-separated guest memory `sizes` (MiB) the unikernel is loaded in")
		reqs       = fs.String("requests", "200,1200", "the two request `counts` of the instruction runs")
		skip       = fs.String("skip", "", "comma-separated parts to skip: load, linux-guest, icount, small")
		profileTop = fs.Int("profile", 40, "list the unikernel's top `n` functions by instructions per request (0: no profile)")
		verbose    = fs.Bool("v", false, "stream guest consoles to standard error")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	skipped := map[string]bool{}
	for s := range strings.SplitSeq(*skip, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "load", "linux-guest", "icount", "small":
			skipped[s] = true
		default:
			return fmt.Errorf("-skip %q: unknown part %q (want load, linux-guest, icount, small)", *skip, s)
		}
	}
	if *profileTop < 0 {
		return fmt.Errorf("-profile %d: want a number of functions ≥ 0", *profileTop)
	}
	rep := &httpReport{Date: time.Now(), Machine: *machine, MemMiB: *mem, ProfileTop: *profileTop}
	n1, err1 := fmt.Sscanf(*reqs, "%d,%d", &rep.ReqCounts[0], &rep.ReqCounts[1])
	if err1 != nil || n1 != 2 || rep.ReqCounts[0] <= 0 || rep.ReqCounts[1] <= rep.ReqCounts[0] {
		return fmt.Errorf("-requests %q: want two increasing counts like 200,1200", *reqs)
	}
	var smallSizes []int
	for s := range strings.SplitSeq(*small, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return fmt.Errorf("-small %q: %q is not a size in MiB", *small, s)
		}
		smallSizes = append(smallSizes, n)
	}

	repo, err := findRepo()
	if err != nil {
		return err
	}
	r := &runner{repo: repo, verbose: *verbose, stderr: stderr}
	if r.cache = *cacheDir; r.cache == "" {
		r.cache = filepath.Join(repo, "bench", ".cache")
	}
	if r.cache, err = filepath.Abs(r.cache); err != nil {
		return err
	}
	if err := os.MkdirAll(r.cache, 0o755); err != nil {
		return err
	}
	for _, t := range []string{"go", "wrk"} {
		if err := needTool(t, "for the HTTP benchmark"); err != nil {
			return err
		}
	}
	if r.qemuPath, err = qemu.Lookup(""); err != nil {
		return fmt.Errorf("QEMU not found: %v: install it (Debian: apt-get install qemu-system-x86) or set UNIGO_QEMU", err)
	}
	if !skipped["icount"] {
		if err := r.buildPlugin(ctx); err != nil {
			return fmt.Errorf("building the counting plugin: %v", err)
		}
	}
	rep.Env.environment(ctx, r)

	// The programs.
	bin := filepath.Join(r.cache, "unigo")
	if _, err := r.output(ctx, "", "go", "build", "-o", bin, "./cmd/unigo"); err != nil {
		return fmt.Errorf("go build ./cmd/unigo: %v", err)
	}
	img := filepath.Join(r.cache, "httpserver.img")
	if _, err := r.output(ctx, "", bin, "build", "-o", img, httpServerPkg); err != nil {
		return fmt.Errorf("unigo build %s: %v", httpServerPkg, err)
	}
	memImg := filepath.Join(r.cache, "httpmem.img")
	if !skipped["small"] {
		if _, err := r.output(ctx, "", bin, "build", "-o", memImg, httpMemPkg); err != nil {
			return fmt.Errorf("unigo build %s: %v", httpMemPkg, err)
		}
	}
	linuxEnv := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}
	linuxServer := filepath.Join(r.cache, "httpserver.linux")
	netinit := filepath.Join(r.cache, "netinit.linux")
	for _, b := range [][2]string{{linuxServer, httpServerPkg}, {netinit, "./bench/programs/netinit"}} {
		if _, err := r.outputEnv(ctx, "", linuxEnv, "go", "build", "-o", b[0], b[1]); err != nil {
			return fmt.Errorf("building %s for Linux: %v", b[1], err)
		}
	}

	uni := &httpGuest{Name: "unigo"}
	rep.Guests = append(rep.Guests, uni)
	uniCfg := func(mib int, port int, icount bool) qemu.Config {
		line, _ := cmdline.Encode(cmdline.Line{Argv0: "httpserver",
			Kernel: []string{"unigo.net.ip=" + qemu.UserGuestIP, "unigo.net.gw=" + qemu.UserGateway}})
		return qemu.Config{Machine: *machine, Accel: "tcg", MemoryMiB: mib, SMP: 1, Kernel: img, Append: line, ICount: icount,
			Net: &qemu.Net{Mode: "user", Forwards: []qemu.Forward{{Proto: "tcp", HostAddr: "127.0.0.1", HostPort: port, GuestPort: 8080}}}}
	}
	var linux *httpGuest
	var linuxCfg func(mib, port int, icount bool) (qemu.Config, []string)
	if !skipped["linux-guest"] {
		linux = &httpGuest{Name: "Linux guest"}
		rep.Guests = append(rep.Guests, linux)
		k := linuxKernel{Path: *kernelPath, Package: "given with -linux-kernel"}
		if *kernelPath == "" {
			if k, err = r.debianKernel(ctx, filepath.Join(r.cache, "kernel")); err != nil {
				return err
			}
		}
		rep.LinuxKernel = k
		initrd := filepath.Join(r.cache, "initrd-httpserver.cpio")
		if err := r.writeNetInitrd(ctx, initrd, k, netinit, linuxServer); err != nil {
			linux.LoadErr = err
			linux = nil
		} else {
			linuxCfg = func(mib, port int, icount bool) (qemu.Config, []string) {
				return qemu.Config{Machine: *machine, Accel: "tcg", MemoryMiB: mib, SMP: 1, Kernel: k.Path,
					Append: "console=ttyS0 quiet panic=-1", ICount: icount,
					Net: &qemu.Net{Mode: "user", Forwards: []qemu.Forward{{Proto: "tcp", HostAddr: "127.0.0.1", HostPort: port, GuestPort: 8080}}}}, []string{"-initrd", initrd}
			}
		}
	}

	// Load, both guests in turn.
	for _, g := range rep.Guests {
		if g.LoadErr != nil || skipped["load"] {
			continue
		}
		port, err := freeHostPort()
		if err != nil {
			return err
		}
		var cfg qemu.Config
		var extra []string
		if g == uni {
			cfg = uniCfg(*mem, port, false)
		} else {
			cfg, extra = linuxCfg(*mem, port, false)
		}
		g.Load, g.Args, g.LoadErr = r.loadGuest(ctx, g.Name, cfg, extra, port, *duration, *conns)
	}
	// Instructions per request.
	if !skipped["icount"] {
		for _, g := range rep.Guests {
			if g.LoadErr != nil {
				continue
			}
			var counts [2]uint64
			var profs [2]tbProfile
			profile := g == uni && *profileTop > 0
			for k, n := range rep.ReqCounts {
				port, err := freeHostPort()
				if err != nil {
					return err
				}
				var cfg qemu.Config
				var extra []string
				if g == uni {
					cfg = uniCfg(*mem, port, true)
				} else {
					cfg, extra = linuxCfg(*mem, port, true)
				}
				counts[k], profs[k], g.InsnsErr = r.countRequests(ctx, g.Name, cfg, extra, port, n, profile)
				if g.InsnsErr != nil {
					break
				}
			}
			if g.InsnsErr == nil {
				units := rep.ReqCounts[1] - rep.ReqCounts[0]
				g.InsnsPerReq = float64(int64(counts[1])-int64(counts[0])) / float64(units)
				if profile {
					syms, err := loadSymtab(img)
					if err != nil {
						return err
					}
					g.Profile = diffProfiles(profs[0], profs[1], syms, units)
				}
			}
		}
	}
	// Small guests under load.
	if !skipped["small"] {
		for _, m := range smallSizes {
			port, err := freeHostPort()
			if err != nil {
				return err
			}
			sg := smallGuest{MiB: m}
			sg.Load, _, sg.Err = r.loadGuestCheck(ctx, fmt.Sprintf("unigo, %d MiB", m), uniCfg(m, port, false), nil, port, 10*time.Second, *conns, &sg.Alive)
			cfg := uniCfg(m, port, false)
			cfg.Kernel = memImg
			sg.Mem, sg.MemErr = r.memoryUnderLoad(ctx, fmt.Sprintf("httpmem, %d MiB", m), cfg, port, 10*time.Second, *conns)
			rep.Small = append(rep.Small, sg)
		}
	}

	return r.report(stdout, *resultsDir, repo, "http-"+rep.Date.Format("2006-01-02")+".md", rep.markdown())
}

func freeHostPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeNetInitrd writes the Linux guest's initramfs: netinit as /init,
// the server, and the virtio-net modules of kernel k's package.
func (r *runner) writeNetInitrd(ctx context.Context, path string, k linuxKernel, netinit, server string) error {
	mods, err := r.debianModules(ctx, k)
	if err != nil {
		return err
	}
	entries := []cpioEntry{
		{Name: "dev", Mode: modeDir | 0o755},
		{Name: "dev/console", Mode: modeChar | 0o600, Major: 5, Minor: 1},
		{Name: "modules", Mode: modeDir | 0o755},
	}
	var order []string
	for _, m := range mods {
		data, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		entries = append(entries, cpioEntry{Name: "modules/" + filepath.Base(m), Mode: modeReg | 0o644, Data: data})
		order = append(order, filepath.Base(m))
	}
	entries = append(entries, cpioEntry{Name: "modules/order", Mode: modeReg | 0o644, Data: []byte(strings.Join(order, "\n") + "\n")})
	for _, f := range [][2]string{{"init", netinit}, {"httpserver", server}} {
		data, err := os.ReadFile(f[1])
		if err != nil {
			return err
		}
		entries = append(entries, cpioEntry{Name: f[0], Mode: modeReg | 0o755, Data: data})
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	return writeCPIO(out, entries)
}

// debianModules returns the virtio-net modules from the Debian package
// of kernel k, extracting them once into the cache.
func (r *runner) debianModules(ctx context.Context, k linuxKernel) ([]string, error) {
	pkg, _, _ := strings.Cut(k.Package, " ")
	if !strings.HasPrefix(pkg, "linux-image-") {
		return nil, fmt.Errorf("the Linux guest needs its virtio-net modules: use Debian's kernel (no -linux-kernel), not %q", k.Package)
	}
	dir := filepath.Join(r.cache, "modules-"+pkg)
	paths := make([]string, len(linuxNetModules))
	have := true
	for i, m := range linuxNetModules {
		paths[i] = filepath.Join(dir, filepath.Base(m))
		if _, err := os.Stat(paths[i]); err != nil {
			have = false
		}
	}
	if have {
		return paths, nil
	}
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if err := needTool(tool, "to fetch the Linux guest's virtio-net modules"); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp(r.cache, "download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := r.output(ctx, tmp, "apt-get", "download", pkg); err != nil {
		return nil, fmt.Errorf("apt-get download %s: %v", pkg, err)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("apt-get download %s left %d .deb files", pkg, len(debs))
	}
	x := filepath.Join(tmp, "x")
	if _, err := r.output(ctx, "", "dpkg-deb", "-x", debs[0], x); err != nil {
		return nil, fmt.Errorf("dpkg-deb -x %s: %v", debs[0], err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for i, m := range linuxNetModules {
		found, _ := filepath.Glob(filepath.Join(x, "lib", "modules", "*", m))
		if len(found) != 1 {
			return nil, fmt.Errorf("%s has no %s", pkg, m)
		}
		data, err := os.ReadFile(found[0])
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// guestProc is a QEMU guest running in the background.
type guestProc struct {
	cmd     *exec.Cmd
	console strings.Builder
	done    chan error
}

func (r *runner) startGuest(name string, cfg qemu.Config, extra []string, plugin string) (*guestProc, []string, error) {
	args, err := cfg.Args()
	if err != nil {
		return nil, nil, err
	}
	args = append(args, extra...)
	if plugin != "" {
		args = append(args, "-plugin", plugin)
	}
	r.logf("+ %s", shellJoin(append([]string{r.qemuPath}, args...)))
	g := &guestProc{done: make(chan error, 1)}
	g.cmd = exec.Command(r.qemuPath, args...)
	var w io.Writer = &g.console
	if r.verbose {
		w = io.MultiWriter(w, r.stderr)
	}
	g.cmd.Stdout, g.cmd.Stderr = w, w
	if err := g.cmd.Start(); err != nil {
		return nil, args, err
	}
	go func() { g.done <- g.cmd.Wait() }()
	return g, args, nil
}

// stop ends the guest (SIGTERM: QEMU exits cleanly, so the counting
// plugin writes its total) and waits.
func (g *guestProc) stop() {
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		g.cmd.Process.Kill()
		<-g.done
	}
}

// readyClient is the client waitReady polls with when the caller does not
// go on using the connection it proves.
func readyClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
}

// waitReady polls the guest's server with c until it answers. Under QEMU
// user networking the host port accepts connections before the guest
// runs; one that reaches the guest before the program listens is reset
// there and the client sees EOF: until the first answer that means "not
// yet". After it returns, c holds the answered keep-alive connection.
func waitReady(ctx context.Context, g *guestProc, port int, c *http.Client) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case err := <-g.done:
			g.done <- err
			return fmt.Errorf("the guest stopped before serving (%v); console:\n%s", err, tail(g.console.String(), 15))
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("no answer within 5 minutes; console:\n%s", tail(g.console.String(), 15))
}

// maxRetries bounds the requests getN sends again in one run.
const maxRetries = 5

// getN sends n GETs of url with c, one after the other, and returns how
// many it had to send again. Under -icount sleep=off a host stall of a
// few milliseconds can be minutes of guest time, enough for keep-alive
// probes or retransmissions to give up on the connection (seen with CPU
// hogs beside the benchmark: 2 of 50 boots of 1,000 requests);
// a request that failed to get an answer is then sent again on a new
// connection, up to maxRetries times in all. A wrong answer is an error.
func getN(c *http.Client, url string, n int) (retried int, err error) {
	for i := 0; i < n; i++ {
		for {
			resp, err := c.Get(url)
			if err != nil {
				if retried == maxRetries {
					return retried, fmt.Errorf("request %d: %v (after %d requests sent again)", i, err, retried)
				}
				retried++
				c.CloseIdleConnections()
				continue
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				return retried, fmt.Errorf("request %d: %s, reading the body: %v", i, resp.Status, err)
			}
			break
		}
	}
	return retried, nil
}

func (r *runner) loadGuest(ctx context.Context, name string, cfg qemu.Config, extra []string, port int, d time.Duration, conns int) (*wrkResult, []string, error) {
	var alive bool
	return r.loadGuestCheck(ctx, name, cfg, extra, port, d, conns, &alive)
}

// loadGuestCheck boots a guest, loads it with wrk and reports whether it
// still answered afterwards.
func (r *runner) loadGuestCheck(ctx context.Context, name string, cfg qemu.Config, extra []string, port int, d time.Duration, conns int, alive *bool) (*wrkResult, []string, error) {
	g, args, err := r.startGuest(name, cfg, extra, "")
	if err != nil {
		return nil, args, err
	}
	defer g.stop()
	if err := waitReady(ctx, g, port, readyClient()); err != nil {
		return nil, args, fmt.Errorf("%s: %v", name, err)
	}
	r.logf("  %s: serving; wrk -t1 -c%d -d%v", name, conns, d)
	res, err := runWrk(ctx, port, d, conns)
	if err != nil {
		return nil, args, fmt.Errorf("%s: %v", name, err)
	}
	*alive = waitReady(ctx, g, port, readyClient()) == nil
	r.logf("  %s: %.0f requests/s", name, res.Requests)
	return res, args, nil
}

// memoryUnderLoad boots bench/programs/httpmem, loads it with wrk for d
// and fetches its /mem report halfway through.
func (r *runner) memoryUnderLoad(ctx context.Context, name string, cfg qemu.Config, port int, d time.Duration, conns int) (map[string]int, error) {
	g, _, err := r.startGuest(name, cfg, nil, "")
	if err != nil {
		return nil, err
	}
	defer g.stop()
	if err := waitReady(ctx, g, port, readyClient()); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	wrkDone := make(chan error, 1)
	go func() { _, err := runWrk(ctx, port, d, conns); wrkDone <- err }()
	select {
	case <-time.After(d / 2):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/mem", port))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if werr := <-wrkDone; err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: /mem under load: %v", name, err)
	}
	mem := map[string]int{}
	for _, m := range memLine.FindAllStringSubmatch(string(body), -1) {
		mem[m[1]], _ = strconv.Atoi(m[2])
	}
	r.logf("  %s: %d KiB free under load", name, mem["MemFree"])
	return mem, nil
}

var memLine = regexp.MustCompile(`(?m)^(\w+):\s+(\d+)`)

var (
	wrkReqs    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal   = regexp.MustCompile(`(\d+) requests in`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+(\S+)$`)
	wrkErrors  = regexp.MustCompile(`(?m)^\s+(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
)

func runWrk(ctx context.Context, port int, d time.Duration, conns int) (*wrkResult, error) {
	out, err := exec.CommandContext(ctx, "wrk", "-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds())),
		"--latency", fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	s := string(out)
	res := &wrkResult{Raw: s, Latency: map[string]string{}, Duration: d, Conns: conns, Thr: 1}
	m := wrkReqs.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("wrk printed no Requests/sec:\n%s", s)
	}
	res.Requests, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(s); m != nil {
		res.Total, _ = strconv.Atoi(m[1])
	}
	for _, m := range wrkLatency.FindAllStringSubmatch(s, -1) {
		res.Latency[m[1]] = m[2]
	}
	var errs []string
	for _, m := range wrkErrors.FindAllStringSubmatch(s, -1) {
		errs = append(errs, strings.TrimSpace(m[1]))
	}
	res.Errors = strings.Join(errs, "; ")
	return res, nil
}

// countRequests boots a guest under -icount with the counting plugin,
// serves n requests on one keep-alive connection and returns the guest's
// total instruction count at exit and, with profile, the plugin's
// per-TB profile.
func (r *runner) countRequests(ctx context.Context, name string, cfg qemu.Config, extra []string, port, n int, profile bool) (uint64, tbProfile, error) {
	f, err := os.CreateTemp(r.cache, "insns-*.txt")
	if err != nil {
		return 0, nil, err
	}
	f.Close()
	defer os.Remove(f.Name())
	plugin := r.plugin + ",outfile=" + f.Name()
	profPath := strings.TrimSuffix(f.Name(), ".txt") + ".prof"
	if profile {
		plugin += ",profile=" + profPath
		defer os.Remove(profPath)
	}
	g, _, err := r.startGuest(name, cfg, extra, plugin)
	if err != nil {
		return 0, nil, err
	}
	// The counted requests ride the keep-alive connection waitReady's
	// answer proved, never a fresh one: under -icount sleep=off QEMU jumps
	// the guest's clock to its next timer whenever it idles, so while a
	// fresh connection's first request is still on its way from the host
	// (a few milliseconds when the host is busy), net/http's
	// ReadHeaderTimeout (10 s, counted from the accept) can expire, and the
	// server closes the connection without an answer: the client sees EOF.
	// An answered connection waits for its next request with no deadline.
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	if err := waitReady(ctx, g, port, c); err != nil {
		g.stop()
		return 0, nil, fmt.Errorf("%s (icount): %v", name, err)
	}
	retried, err := getN(c, fmt.Sprintf("http://127.0.0.1:%d/", port), n)
	g.stop()
	if err != nil {
		return 0, nil, fmt.Errorf("%s (icount): %v", name, err)
	}
	if retried > 0 {
		r.logf("  %s: %d requests went unanswered and were sent again on a new connection (guest time jumps under -icount; the run counts that connection too)", name, retried)
	}
	b := &boot{Marks: map[uint64]uint64{}}
	if err := b.readCounts(f.Name()); err != nil {
		return 0, nil, fmt.Errorf("%s (icount): %v", name, err)
	}
	r.logf("  %s: %d requests, %d guest instructions in all", name, n, b.Insns)
	var prof tbProfile
	if profile {
		if prof, err = readProfile(profPath); err != nil {
			return 0, nil, fmt.Errorf("%s (icount): %v", name, err)
		}
	}
	return b.Insns, prof, nil
}

func (rep *httpReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HTTP benchmark, %s\n\n", rep.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Host: %s; %s; %s. Command: `go run ./bench/cmd/httpbench`.\n\n", rep.Env.Host, rep.Env.Go, rep.Env.QEMU)
	fmt.Fprintf(&b, "The same `examples/httpserver` (stock net/http, `GET /`: a 40-byte text answer) as a unigo unikernel and as the program of a Linux guest (%s, the server exec'd as PID 1 by `bench/programs/netinit`), on the same QEMU command line: %s, TCG, 1 vCPU, %d MiB, virtio-net, user networking with a forwarded port. Load: `wrk -t1 -c%d` from the host, one guest after the other in this run.\n\n",
		rep.LinuxKernel.Package, rep.Machine, rep.MemMiB, conns(rep))
	b.WriteString("| guest | requests/s | p50 | p75 | p90 | p99 | errors | guest instructions per request |\n|---|---:|---:|---:|---:|---:|---|---:|\n")
	for _, g := range rep.Guests {
		if g.LoadErr != nil {
			fmt.Fprintf(&b, "| %s | failed: %s | | | | | | |\n", g.Name, oneLine(g.LoadErr.Error()))
			continue
		}
		l := g.Load
		if l == nil {
			l = &wrkResult{Latency: map[string]string{}, Errors: "load not run"}
		}
		errs := l.Errors
		if errs == "" {
			errs = "none"
		}
		insns := "not measured"
		switch {
		case g.InsnsErr != nil:
			insns = "failed: " + oneLine(g.InsnsErr.Error())
		case g.InsnsPerReq > 0:
			insns = commas(strconv.FormatFloat(g.InsnsPerReq, 'f', 0, 64))
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %s | %s |\n", g.Name, l.Requests, l.Latency["50"], l.Latency["75"], l.Latency["90"], l.Latency["99"], errs, insns)
	}
	if len(rep.Guests) == 2 && rep.Guests[0].Load != nil && rep.Guests[1].Load != nil {
		u, l := rep.Guests[0], rep.Guests[1]
		fmt.Fprintf(&b, "\nunigo / Linux guest: %.2f× the requests/s (target ≥ 1×, goal 1.5×)", u.Load.Requests/l.Load.Requests)
		if u.InsnsPerReq > 0 && l.InsnsPerReq > 0 {
			fmt.Fprintf(&b, "; %.2f× the guest instructions per request (target < 1×)", u.InsnsPerReq/l.InsnsPerReq)
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(&b, "\nInstructions per request: two boots per guest under `-icount shift=0,sleep=off` with the counting plugin (bench/plugin), serving %d and then %d sequential requests on one keep-alive connection before QEMU is stopped; the difference of the totals divided by %d requests. It includes what the guest does while idle between requests.\n",
		rep.ReqCounts[0], rep.ReqCounts[1], rep.ReqCounts[1]-rep.ReqCounts[0])
	for _, g := range rep.Guests {
		if len(g.Profile) > 0 {
			fmt.Fprintf(&b, "\n## Where %s's instructions per request go\n\nThe top %d functions of the difference of the two instruction runs' profiles (the counting plugin's profile= output, by function of the image's symbol table):\n\n", g.Name, rep.ProfileTop)
			b.WriteString(profileMarkdown(g.Profile, rep.ProfileTop))
		}
	}
	if len(rep.Small) > 0 {
		b.WriteString("\n## The unikernel under load in small guests\n\n| guest memory | requests/s (10 s) | errors | answers afterwards |\n|---:|---:|---|---|\n")
		for _, s := range rep.Small {
			if s.Err != nil {
				fmt.Fprintf(&b, "| %d MiB | failed: %s | | |\n", s.MiB, oneLine(s.Err.Error()))
				continue
			}
			errs := s.Load.Errors
			if errs == "" {
				errs = "none"
			}
			fmt.Fprintf(&b, "| %d MiB | %.0f | %s | %v |\n", s.MiB, s.Load.Requests, errs, s.Alive)
		}
		b.WriteString("\nTargets: serves under load in 32 MiB (goal 16 MiB).\n")
		b.WriteString("\nWhere the memory is, halfway through the same load of `bench/programs/httpmem` (the same server plus a `/mem` route) in a guest of the same size, in KiB: the kernel's `/proc/meminfo` and the Go runtime's `MemStats`.\n\n")
		b.WriteString("| guest memory | RAM for the kernel's allocator | free | program pages | socket rings | kernel stacks | kernel objects | other kernel | Go heap in use | GOMEMLIMIT | GCs |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range rep.Small {
			if s.MemErr != nil || s.Mem == nil {
				fmt.Fprintf(&b, "| %d MiB | failed: %s |||||||||\n", s.MiB, oneLine(fmt.Sprint(s.MemErr)))
				continue
			}
			m := s.Mem
			fmt.Fprintf(&b, "| %d MiB | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", s.MiB, m["MemTotal"], m["MemFree"], m["AnonPages"],
				m["SocketRings"], m["KernelStack"], m["Slab"], m["KernelOther"], m["GoHeapInuse"], m["GoMemLimit"], m["GoNumGC"])
		}
	}
	b.WriteString("\n## QEMU command lines\n\n")
	for _, g := range rep.Guests {
		if len(g.Args) > 0 {
			fmt.Fprintf(&b, "%s:\n\n    qemu-system-x86_64 %s\n\n", g.Name, shellJoin(g.Args))
		}
	}
	b.WriteString("## wrk output\n\n")
	for _, g := range rep.Guests {
		if g.Load != nil {
			fmt.Fprintf(&b, "%s:\n\n%s\n", g.Name, indent(g.Load.Raw))
		}
	}
	return b.String()
}

func conns(rep *httpReport) int {
	for _, g := range rep.Guests {
		if g.Load != nil {
			return g.Load.Conns
		}
	}
	return 0
}

func indent(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}
