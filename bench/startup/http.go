package startup

import (
	"cmp"
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
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Guest instructions per request (-icount): each run is one boot
	// snapshotted after two request counts; InsnsPerReq is the median of
	// the runs.
	InsnsPerReq float64
	InsnsErr    error
	Runs        []icountRun
	ICountArgs  []string // QEMU arguments of the last instruction run
	// Profile is where the instructions of the median run go, per
	// function.
	Profile []funcCost
	// resolver symbolises one boot's profile, given its console.
	resolver func(console string) (resolver, error)
}

// icountRun is one instruction-counting boot.
type icountRun struct {
	PerReq  float64
	Profile []funcCost // nil without -profile
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
	ICount      string        // -icount options of the instruction runs
	Gap         time.Duration // host pause between their requests
	ICountConns int           // connections they sent their requests on at once
	KernelArgs  []string      // extra kernel parameters of the unikernel
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
		reqs       = fs.String("requests", "200,3200", "the instruction runs snapshot the count after these two request `counts`")
		icountOpts = fs.String("icount", "shift=0,sleep=on", "QEMU -icount `options` of the instruction runs (both guests; sleep=off makes idle time host-dependent, see bench/README.md)")
		icConns    = fs.Int("icount-conns", 8, "keep-alive `connections` the instruction runs send their requests on at once (1: one request at a time, idle time between requests counted)")
		gap        = fs.Duration("request-gap", 0, "host pause `between` the requests of the instruction runs (to see what idle time costs)")
		icountRuns = fs.Int("icount-runs", 3, "boot each guest `k` times for instructions per request (median and range)")
		skip       = fs.String("skip", "", "comma-separated parts to skip: load, linux-guest, icount, small")
		profileTop = fs.Int("profile", 40, "list each guest's top `n` functions by instructions per request (0: no profile)")
		verbose    = fs.Bool("v", false, "stream guest consoles to standard error")
		kargs      = fs.String("kernel-args", "", "extra space-separated kernel `parameters` for the unikernel (e.g. unigo.net.tcp=gvisor: IPv4 TCP on gVisor instead of ktcp)")
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
	if *icountRuns < 1 {
		return fmt.Errorf("-icount-runs %d: want at least 1 run", *icountRuns)
	}
	if *icConns < 1 {
		return fmt.Errorf("-icount-conns %d: want at least 1 connection", *icConns)
	}
	if !strings.HasPrefix(*icountOpts, "shift=") {
		return fmt.Errorf("-icount %q: want QEMU -icount options starting with shift=, like shift=0,sleep=off", *icountOpts)
	}
	if *gap < 0 {
		return fmt.Errorf("-request-gap %v: want a pause ≥ 0", *gap)
	}
	rep := &httpReport{Date: time.Now(), Machine: *machine, MemMiB: *mem, ProfileTop: *profileTop}
	n1, err1 := fmt.Sscanf(*reqs, "%d,%d", &rep.ReqCounts[0], &rep.ReqCounts[1])
	if err1 != nil || n1 != 2 || rep.ReqCounts[0] <= 0 || rep.ReqCounts[1] <= rep.ReqCounts[0] {
		return fmt.Errorf("-requests %q: want two increasing counts like 200,3200", *reqs)
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
	r := &runner{repo: repo, verbose: *verbose, stderr: stderr, icount: *icountOpts, gap: *gap, conns: *icConns}
	rep.ICount, rep.Gap, rep.ICountConns = *icountOpts, *gap, *icConns
	rep.KernelArgs = strings.Fields(*kargs)
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

	// Symbols: the unikernel's from its image, the program side being
	// what the Linux build of the same program also links.
	progSyms, err := loadSymtab(linuxServer)
	if err != nil {
		return err
	}
	imgSyms, err := loadSymtab(img)
	if err != nil {
		return err
	}
	uniRes := goResolver{syms: imgSyms, prog: newProgSymbols(progSyms)}
	uni := &httpGuest{Name: "unigo", resolver: func(string) (resolver, error) { return uniRes, nil }}
	rep.Guests = append(rep.Guests, uni)
	uniCfg := func(mib int, port int, icount bool) qemu.Config {
		line, _ := cmdline.Encode(cmdline.Line{Argv0: "httpserver",
			Kernel: append([]string{"unigo.net.ip=" + qemu.UserGuestIP, "unigo.net.gw=" + qemu.UserGateway}, rep.KernelArgs...)})
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
			if !skipped["icount"] && *profileTop > 0 {
				kernSyms, err := r.linuxKallsyms(ctx, k, linuxCfg)
				if err != nil {
					return err
				}
				linux.resolver = func(console string) (resolver, error) {
					return newLinuxResolver(progSyms, kernSyms, console)
				}
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
	// Instructions per request: the guests' runs alternate, so that both
	// see the same host conditions.
	if !skipped["icount"] {
		profile := *profileTop > 0
		units := rep.ReqCounts[1] - rep.ReqCounts[0]
		for run := range *icountRuns {
			for _, g := range rep.Guests {
				if g.LoadErr != nil || g.InsnsErr != nil {
					continue
				}
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
				name := fmt.Sprintf("%s (run %d of %d)", g.Name, run+1, *icountRuns)
				res := g.resolver
				if !profile {
					res = nil
				}
				var counts [2]uint64
				var profs [2]funcProfile
				counts, profs, g.InsnsErr = r.countRequests(ctx, name, cfg, extra, port, rep.ReqCounts, res, &g.ICountArgs)
				if g.InsnsErr != nil {
					continue
				}
				ir := icountRun{PerReq: float64(int64(counts[1])-int64(counts[0])) / float64(units)}
				if profile {
					ir.Profile = diffFuncProfiles(profs[0], profs[1], units)
				}
				r.logf("  %s: %.0f instructions per request", g.Name, ir.PerReq)
				g.Runs = append(g.Runs, ir)
			}
		}
		for _, g := range rep.Guests {
			if g.InsnsErr == nil && len(g.Runs) > 0 {
				var m icountRun
				g.InsnsPerReq, m = medianRun(g.Runs)
				g.Profile = m.Profile
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

// linuxKallsyms returns the Linux guest kernel's text symbols as offsets
// from _text. Debian's System.map is a placeholder (the real one is in the
// -dbg package, ~1 GB), so one boot of the benchmark's guest with
// BENCH_KALLSYMS=all on the kernel command line has netinit print them
// from /proc/kallsyms; they are cached next to the kernel. KASLR moves
// the whole image by one offset, so they hold for every boot.
func (r *runner) linuxKallsyms(ctx context.Context, k linuxKernel, cfg func(mib, port int, icount bool) (qemu.Config, []string)) (*symtab, error) {
	cache := filepath.Join(filepath.Dir(k.Path), "kallsyms-"+strings.TrimPrefix(filepath.Base(k.Path), "vmlinuz-")+".txt")
	if data, err := os.ReadFile(cache); err == nil {
		if ks, err := parseKallsyms(string(data)); err == nil && ks.complete && len(ks.kernel.addrs) > 1000 {
			return ks.kernel, nil
		}
	}
	port, err := freeHostPort()
	if err != nil {
		return nil, err
	}
	c, extra := cfg(256, port, false)
	c.Append += " BENCH_KALLSYMS=all"
	r.logf("  Linux guest: reading the kernel's symbols from /proc/kallsyms (once per kernel)")
	g, _, err := r.startGuest("Linux guest (kallsyms)", c, extra, "")
	if err != nil {
		return nil, err
	}
	err = waitReady(ctx, g, port)
	g.stop()
	if err != nil {
		return nil, fmt.Errorf("Linux guest (kallsyms): %v", err)
	}
	var dump strings.Builder
	for line := range strings.SplitSeq(g.console.String(), "\n") {
		if _, rest, ok := strings.Cut(line, kallsymsPrefix); ok {
			dump.WriteString(kallsymsPrefix + strings.TrimRight(rest, "\r") + "\n")
		}
	}
	ks, err := parseKallsyms(dump.String())
	if err != nil {
		return nil, fmt.Errorf("Linux guest (kallsyms): %v", err)
	}
	if !ks.complete || len(ks.kernel.addrs) < 1000 {
		return nil, fmt.Errorf("Linux guest (kallsyms): the console holds %d kernel symbols and no end line; is kernel.kptr_restrict hiding them? console:\n%s", len(ks.kernel.addrs), tail(g.console.String(), 15))
	}
	if err := os.WriteFile(cache, []byte(dump.String()), 0o644); err != nil {
		return nil, err
	}
	return ks.kernel, nil
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
	cmd      *exec.Cmd
	console  strings.Builder
	done     chan error
	stopOnce sync.Once
}

func (r *runner) startGuest(name string, cfg qemu.Config, extra []string, plugin string) (*guestProc, []string, error) {
	args, err := cfg.Args()
	if err != nil {
		return nil, nil, err
	}
	args = append(args, extra...)
	if i := slices.Index(args, "-icount"); i >= 0 && i+1 < len(args) && r.icount != "" {
		args[i+1] = r.icount
	}
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
// plugin writes its total) and waits; later calls do nothing.
func (g *guestProc) stop() {
	g.stopOnce.Do(func() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(30 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
	})
}

// waitReady polls the guest's server until it answers.
func waitReady(ctx context.Context, g *guestProc, port int) error {
	c := &http.Client{Timeout: 10 * time.Second}
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
	if err := waitReady(ctx, g, port); err != nil {
		return nil, args, fmt.Errorf("%s: %v", name, err)
	}
	r.logf("  %s: serving; wrk -t1 -c%d -d%v", name, conns, d)
	res, err := runWrk(ctx, port, d, conns)
	if err != nil {
		return nil, args, fmt.Errorf("%s: %v", name, err)
	}
	*alive = waitReady(ctx, g, port) == nil
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
	if err := waitReady(ctx, g, port); err != nil {
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

// countRequests boots a guest under -icount with the counting plugin and
// serves requests on r.conns keep-alive connections; after the first ns[0]
// requests and after ns[1] in all it has the plugin snapshot the guest's
// instruction count and, with a resolver (which gets the boot's console),
// its profile by function. The difference of the two snapshots is the
// cost of ns[1]-ns[0] requests, the boot's own work left out.
func (r *runner) countRequests(ctx context.Context, name string, cfg qemu.Config, extra []string, port int, ns [2]int, res func(string) (resolver, error), args *[]string) ([2]uint64, [2]funcProfile, error) {
	var counts [2]uint64
	var profs [2]funcProfile
	dir, err := os.MkdirTemp(r.cache, "icount-")
	if err != nil {
		return counts, profs, err
	}
	defer os.RemoveAll(dir)
	fifo := filepath.Join(dir, "ctl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return counts, profs, err
	}
	// O_RDWR: opening does not wait for the plugin's reader.
	ctl, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return counts, profs, err
	}
	defer ctl.Close()
	plugin := r.plugin + ",outfile=" + filepath.Join(dir, "exit.txt") + ",ctl=" + fifo
	if res != nil {
		plugin += ",profile=" + filepath.Join(dir, "exit.prof")
	}
	g, a, err := r.startGuest(name, cfg, extra, plugin)
	*args = a
	if err != nil {
		return counts, profs, err
	}
	defer g.stop()
	if err := waitReady(ctx, g, port); err != nil {
		return counts, profs, fmt.Errorf("%s (icount): %v", name, err)
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: r.conns}}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	snaps := [2]string{filepath.Join(dir, "snap0"), filepath.Join(dir, "snap1")}
	done := 0
	for k, n := range ns {
		if err := r.sendRequests(c, url, n-done); err != nil {
			return counts, profs, fmt.Errorf("%s (icount): after %d requests: %v", name, done, err)
		}
		done = n
		if err := snapshot(ctx, g, ctl, snaps[k]); err != nil {
			return counts, profs, fmt.Errorf("%s (icount): after %d requests: %v", name, done, err)
		}
	}
	g.stop()
	var rs resolver
	if res != nil {
		if rs, err = res(g.console.String()); err != nil {
			return counts, profs, fmt.Errorf("%s (icount): symbols: %v", name, err)
		}
	}
	for k, snap := range snaps {
		b := &boot{Marks: map[uint64]uint64{}}
		if err := b.readCounts(snap); err != nil {
			return counts, profs, fmt.Errorf("%s (icount): %v", name, err)
		}
		counts[k] = b.Insns
		if rs != nil {
			prof, err := readProfile(snap + ".prof")
			if err != nil {
				return counts, profs, fmt.Errorf("%s (icount): %v", name, err)
			}
			profs[k] = symbolise(prof, rs)
		}
	}
	r.logf("  %s: %d guest instructions after %d requests, %d after %d", name, counts[0], ns[0], counts[1], ns[1])
	return counts, profs, nil
}

// sendRequests sends n GET requests, spread over r.conns keep-alive
// connections that each send their share one after the other (with more
// than one, the guest has the next request waiting while it answers one,
// so it rarely idles), pausing r.gap after each.
func (r *runner) sendRequests(c *http.Client, url string, n int) error {
	errs := make(chan error, r.conns)
	for w := range r.conns {
		share := n / r.conns
		if w < n%r.conns {
			share++
		}
		go func() {
			for i := range share {
				resp, err := c.Get(url)
				if err != nil {
					errs <- fmt.Errorf("connection %d, request %d: %v", w, i, err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if r.gap > 0 {
					time.Sleep(r.gap)
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range r.conns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// connsText says how the instruction runs sent their requests.
func connsText(n int) string {
	if n == 1 {
		return "one after the other on one keep-alive connection"
	}
	return fmt.Sprintf("on %d keep-alive connections at once, each sending its share one after the other (the guest rarely idles)", n)
}

// snapshot has the counting plugin write its count (and profile) to path
// and waits until it has.
func snapshot(ctx context.Context, g *guestProc, ctl *os.File, path string) error {
	if _, err := ctl.WriteString(path + "\n"); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for !fileExists(path) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the counting plugin wrote no snapshot %s within a minute", path)
		}
		select {
		case err := <-g.done:
			g.done <- err
			return fmt.Errorf("QEMU exited (%v) before the snapshot; console:\n%s", err, tail(g.console.String(), 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// medianRun returns the median instructions per request of runs and the
// run closest to it (the lower middle one of an even number).
func medianRun(runs []icountRun) (float64, icountRun) {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b icountRun) int { return cmp.Compare(a.PerReq, b.PerReq) })
	mid := s[(len(s)-1)/2]
	if len(s)%2 == 0 {
		return (mid.PerReq + s[len(s)/2].PerReq) / 2, mid
	}
	return mid.PerReq, mid
}

func (rep *httpReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HTTP benchmark, %s\n\n", rep.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Host: %s; %s; %s. Command: `go run ./bench/cmd/httpbench`.\n\n", rep.Env.Host, rep.Env.Go, rep.Env.QEMU)
	fmt.Fprintf(&b, "The same `examples/httpserver` (stock net/http, `GET /`: a 40-byte text answer) as a unigo unikernel and as the program of a Linux guest (%s, the server exec'd as PID 1 by `bench/programs/netinit`), on the same QEMU command line: %s, TCG, 1 vCPU, %d MiB, virtio-net, user networking with a forwarded port. %s\n\n",
		rep.LinuxKernel.Package, rep.Machine, rep.MemMiB, loadText(rep))
	if len(rep.KernelArgs) > 0 {
		fmt.Fprintf(&b, "The unikernel's extra kernel parameters: `%s`.\n\n", strings.Join(rep.KernelArgs, " "))
	}
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
	runs := 0
	for _, g := range rep.Guests {
		runs = max(runs, len(g.Runs))
	}
	fmt.Fprintf(&b, "\nInstructions per request: boots under `-icount %s` with the counting plugin (bench/plugin) serving requests %s%s; the plugin snapshots the guest's instruction count (and profile) after request %d and after request %d, and the difference divided by %d is the figure, the boot's own work left out. It includes what the guest does while idle between requests. %d boots per guest, the guests' boots alternating (`-icount-runs`); the table gives the median.\n",
		rep.ICount, connsText(rep.ICountConns), gapText(rep.Gap), rep.ReqCounts[0], rep.ReqCounts[1], rep.ReqCounts[1]-rep.ReqCounts[0], runs)
	if runs > 1 {
		b.WriteString("\n" + runsMarkdown(rep.Guests))
	}
	var uniProf, linuxProf []funcCost
	for _, g := range rep.Guests {
		if g.Name == "unigo" {
			uniProf = g.Profile
		} else {
			linuxProf = g.Profile
		}
	}
	if len(uniProf) > 0 && len(linuxProf) > 0 {
		b.WriteString("\n## Program and kernel side\n\nThe median runs' profiles (the counting plugin's `profile=`: every translation block's executions and instructions), symbolised per boot: unigo with its image's symbols, the Linux guest with the server binary's symbols in user space and the kernel's `/proc/kallsyms` (printed by `bench/programs/netinit`; KASLR moves the kernel on every boot) above. The program side is the code a Linux process of the same program also runs: the server, the standard library and the runtime. The kernel side is, in unigo, the kernel's packages (`unigo.dev/unigo/kernel/...`, gVisor, and every package or assembly symbol that the static Linux build of the same program does not link), in the Linux guest the kernel, its modules and the vDSO.\n\n")
		b.WriteString(splitMarkdown(uniProf, linuxProf, rep.ProfileTop))
	}
	for _, g := range rep.Guests {
		if v := variationMarkdown(g, 15); v != "" {
			fmt.Fprintf(&b, "\n## How %s's runs differ\n\nThe groups whose instructions per request vary the most between the runs (each run's profile):\n\n%s", g.Name, v)
		}
	}
	for _, g := range rep.Guests {
		if len(g.Profile) > 0 {
			fmt.Fprintf(&b, "\n## Where %s's instructions per request go\n\nThe median run's profile difference, by group and for the top %d functions (calls are executions of a function's first block):\n\n", g.Name, rep.ProfileTop)
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
	for _, g := range rep.Guests {
		if len(g.ICountArgs) > 0 {
			fmt.Fprintf(&b, "%s, instruction runs (the plugin's files were temporary):\n\n    qemu-system-x86_64 %s\n\n", g.Name, shellJoin(g.ICountArgs))
		}
	}
	for i, g := range rep.Guests {
		if g.Load == nil {
			continue
		}
		if i == 0 || rep.Guests[0].Load == nil && i == 1 {
			b.WriteString("## wrk output\n\n")
		}
		fmt.Fprintf(&b, "%s:\n\n%s\n", g.Name, indent(g.Load.Raw))
	}
	return b.String()
}

func loadText(rep *httpReport) string {
	if n := conns(rep); n > 0 {
		return fmt.Sprintf("Load: `wrk -t1 -c%d` from the host, one guest after the other in this run.", n)
	}
	return "No load run (`-skip load`)."
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

func gapText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf(", the host pausing %v after each answer (`-request-gap`)", d)
}
