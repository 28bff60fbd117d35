// Package startup is the startup benchmark of unigo (issue acceptance 9):
// image size, guest instructions from reset to main, and minimum guest
// memory of a unikernel, each next to a baseline measured in the same run —
// the same Go program as a static Linux binary, as a Linux process, and as
// /init of a minimal Linux guest (Debian's cloud kernel) on the same QEMU.
//
// [Run] is the whole program; bench/cmd/startup only calls it. See
// bench/README.md for what each figure means.
package startup

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"unigo.dev/unigo/internal/cmdline"
	"unigo.dev/unigo/internal/pvh"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// Programs measured, relative to the repository root.
const (
	helloPkg     = "./examples/hello"
	helloExitPkg = "./bench/programs/hello-exit"
	greeting     = "Hello from unigo!"
)

// guestRuns is how many times each counting boot runs (the report shows
// the median and the range).
const guestRuns = 3

// runner holds the state of one benchmark run.
type runner struct {
	repo, cache string
	plugin      string // insncount.so
	qemuPath    string
	verbose     bool
	stderr      io.Writer
	// icount, when set, replaces the -icount options of QEMU command
	// lines (the HTTP benchmark's -icount flag).
	icount string
	// gap is the HTTP benchmark's pause between requests.
	gap time.Duration
	// conns is the number of keep-alive connections the HTTP benchmark's
	// instruction runs send their requests on at once.
	conns int
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.stderr, format+"\n", args...)
}

// Run runs the benchmark with command-line args (without the program name),
// prints the report on stdout and writes it under the results directory.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("startup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cacheDir   = fs.String("cache", "", "cache `dir` for the kernel, plugin and builds (default <repo>/bench/.cache)")
		resultsDir = fs.String("results", "", "write the report into `dir` (default <repo>/bench/results; \"-\": do not write)")
		helloImg   = fs.String("image-hello", "", "use this unigo `image` of examples/hello instead of building one")
		exitImg    = fs.String("image-exit", "", "use this unigo `image` of bench/programs/hello-exit instead of building one")
		kernelPath = fs.String("linux-kernel", "", "baseline Linux `vmlinuz` (default: Debian's "+kernelMeta+", downloaded once into the cache)")
		mem        = fs.Int("m", 256, "guest memory in `MiB` for the instruction counts (both guests)")
		minMem     = fs.String("min-mem", "8,16,32", "comma-separated guest memory `sizes` in MiB to boot examples/hello in")
		countTO    = fs.Duration("timeout", 10*time.Minute, "time limit of each instruction-counting boot")
		bootTO     = fs.Duration("boot-timeout", 3*time.Minute, "time limit of each minimum-memory boot")
		runs       = fs.Int("runs", 20, "timed runs of the Linux process")
		skip       = fs.String("skip", "", "comma-separated parts to skip: size, unikernel, linux-guest, process, min-mem")
		verbose    = fs.Bool("v", false, "stream guest consoles to standard error")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: this command takes only flags", fs.Args())
	}
	skipped := map[string]bool{}
	for s := range strings.SplitSeq(*skip, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "size", "unikernel", "linux-guest", "process", "min-mem":
			skipped[s] = true
		default:
			return fmt.Errorf("-skip %q: unknown part %q (want size, unikernel, linux-guest, process, min-mem)", *skip, s)
		}
	}
	var minSizes []int
	for s := range strings.SplitSeq(*minMem, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToUpper(s), "M"))
		if err != nil || n <= 0 {
			return fmt.Errorf("-min-mem %q: %q is not a size in MiB", *minMem, s)
		}
		minSizes = append(minSizes, n)
	}

	repo, err := findRepo()
	if err != nil {
		return err
	}
	r := &runner{repo: repo, verbose: *verbose, stderr: stderr}
	r.cache = *cacheDir
	if r.cache == "" {
		r.cache = filepath.Join(repo, "bench", ".cache")
	}
	if r.cache, err = filepath.Abs(r.cache); err != nil {
		return err
	}
	if err := os.MkdirAll(r.cache, 0o755); err != nil {
		return err
	}
	if err := needTool("go", "to build the programs"); err != nil {
		return err
	}
	if r.qemuPath, err = qemu.Lookup(""); err != nil {
		return fmt.Errorf("QEMU not found: %v: install it (Debian: apt-get install qemu-system-x86) or set UNIGO_QEMU", err)
	}
	if err := r.buildPlugin(ctx); err != nil {
		return fmt.Errorf("building the counting plugin: %v", err)
	}

	rep := &report{Date: time.Now(), MemMiB: *mem}
	rep.environment(ctx, r)

	// Linux builds of both programs: the size baseline, the process and /init.
	linuxHello := filepath.Join(r.cache, "hello.linux")
	linuxExit := filepath.Join(r.cache, "hello-exit.linux")
	for _, b := range [][2]string{{linuxHello, helloPkg}, {linuxExit, helloExitPkg}} {
		if _, err := r.outputEnv(ctx, "", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, "go", "build", "-o", b[0], b[1]); err != nil {
			return fmt.Errorf("building %s for Linux: %v", b[1], err)
		}
	}

	// unigo images: given, or built with the unigo command of this tree.
	uniHello, uniExit, uniErr := *helloImg, *exitImg, error(nil)
	if uniHello == "" || uniExit == "" {
		uniErr = r.buildUnigo(ctx, &uniHello, &uniExit)
	}
	rep.UnigoErr = uniErr

	if !skipped["size"] {
		rep.LinuxSize = fileSize(linuxHello)
		if uniErr == nil {
			rep.UnigoSize = fileSize(uniHello)
		}
	}

	if !skipped["linux-guest"] {
		rep.LinuxGuest, rep.LinuxGuestErr = r.linuxGuest(ctx, *kernelPath, linuxExit, *mem, *countTO, rep)
	}
	if !skipped["unikernel"] && uniErr == nil {
		rep.Unigo, rep.UnigoBootErr = r.unikernel(ctx, uniExit, *mem, *countTO, rep)
	}
	if !skipped["process"] {
		p := r.measureProcess(ctx, linuxExit, *runs)
		rep.Process = &p
	}
	if !skipped["min-mem"] && uniErr == nil {
		for _, m := range minSizes {
			args, err := unigoArgs(uniHello, "hello", m, false)
			if err != nil {
				return err
			}
			b := r.runQEMU(ctx, fmt.Sprintf("unigo hello, %d MiB", m), args, false, nil, *bootTO)
			rep.MinMem = append(rep.MinMem, minMemResult{MiB: m, Boot: b, Pass: b.ok() && strings.Contains(b.Console, greeting)})
		}
	}

	return r.report(stdout, *resultsDir, repo, "startup-"+rep.Date.Format("2006-01-02")+".md", rep.markdown())
}

// report prints a benchmark's markdown report and, unless dir is "-",
// writes it as name under dir (default: the repository's bench/results).
func (r *runner) report(stdout io.Writer, dir, repo, name, text string) error {
	fmt.Fprint(stdout, text)
	if dir == "-" {
		return nil
	}
	if dir == "" {
		dir = filepath.Join(repo, "bench", "results")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return err
	}
	r.logf("report written to %s", out)
	return nil
}

// findRepo returns the root of the unigo repository containing the current
// directory.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(data), "module unigo.dev/unigo\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the unigo repository (no go.mod of module unigo.dev/unigo above it): run from the repository", dir)
		}
	}
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// buildUnigo builds the unigo command of this tree and, with it, the
// images that were not given.
func (r *runner) buildUnigo(ctx context.Context, hello, exit *string) error {
	bin := filepath.Join(r.cache, "unigo")
	if _, err := r.output(ctx, "", "go", "build", "-o", bin, "./cmd/unigo"); err != nil {
		return fmt.Errorf("go build ./cmd/unigo: %v", err)
	}
	for _, b := range []struct {
		img *string
		pkg string
	}{{hello, helloPkg}, {exit, helloExitPkg}} {
		if *b.img != "" {
			continue
		}
		out := filepath.Join(r.cache, filepath.Base(b.pkg)+".img")
		if _, err := r.output(ctx, "", bin, "build", "-o", out, b.pkg); err != nil {
			return fmt.Errorf("unigo build %s: %v", b.pkg, err)
		}
		*b.img = out
	}
	return nil
}

// unigoArgs returns QEMU's arguments for a unigo image exactly as
// "unigo run --accel tcg" builds them (package internal/vmm/qemu).
func unigoArgs(img, argv0 string, mem int, icount bool) ([]string, error) {
	line, err := cmdline.Encode(cmdline.Line{Argv0: argv0})
	if err != nil {
		return nil, err
	}
	return qemu.Config{
		Machine: "microvm", Accel: "tcg", MemoryMiB: mem, SMP: 1,
		Kernel: img, Append: line, ICount: icount,
	}.Args()
}

// unikernel counts the instructions of hello-exit as a unigo unikernel.
func (r *runner) unikernel(ctx context.Context, img string, mem int, timeout time.Duration, rep *report) (*boot, error) {
	entry, err := pvh.Check(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", img, err)
	}
	mainAddr, err := symbolAddr(img, "main.main")
	if err != nil {
		return nil, err
	}
	args, err := unigoArgs(img, "hello-exit", mem, true)
	if err != nil {
		return nil, err
	}
	b := r.countMedian(ctx, "unigo hello-exit", args, []uint64{uint64(entry), mainAddr}, mainAddr, guestRuns, timeout)
	rep.UnigoEntry, rep.UnigoMain = uint64(entry), mainAddr
	return b, nil
}
