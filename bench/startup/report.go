package startup

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report collects the figures of one run.
type report struct {
	Date           time.Time
	MemMiB         int
	Host, Go, QEMU string
	Commit         string
	UnigoErr       error // building the unigo images
	LinuxSize      int64
	UnigoSize      int64
	LinuxKernel    linuxKernel
	LinuxGuest     *boot
	LinuxGuestErr  error
	LinuxMain      uint64
	Unigo          *boot
	UnigoBootErr   error
	UnigoEntry     uint64
	UnigoMain      uint64
	Process        *processResult
	MinMem         []minMemResult
}

type minMemResult struct {
	MiB  int
	Boot *boot
	Pass bool
}

// environment records what the numbers were measured on.
func (rep *report) environment(ctx context.Context, r *runner) {
	rep.Host = fmt.Sprintf("%d CPUs", runtime.NumCPU())
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				rep.Host = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":")) + ", " + rep.Host
				break
			}
		}
	}
	if out, err := r.output(ctx, "", "go", "version"); err == nil {
		rep.Go = strings.TrimSpace(out)
	}
	if out, err := r.output(ctx, "", r.qemuPath, "--version"); err == nil {
		rep.QEMU, _, _ = strings.Cut(strings.TrimSpace(out), "\n")
	}
	if out, err := r.output(ctx, "", "git", "rev-parse", "--short", "HEAD"); err == nil {
		rep.Commit = strings.TrimSpace(out)
	} else {
		rep.Commit = "(no commit)"
	}
}

// millions formats an instruction count in millions: "1,516.88 M", or
// "0.040 M" below ten million.
func millions(n uint64) string {
	prec := 2
	if n < 10e6 {
		prec = 3
	}
	return fmt.Sprintf("%s M", commas(fmt.Sprintf("%.*f", prec, float64(n)/1e6)))
}

// commas groups the integer digits of a decimal number in threes.
func commas(s string) string {
	var b strings.Builder
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		b.WriteByte('-')
		s = rest
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

func (rep *report) markdown() string {
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("# unigo startup benchmark, %s", rep.Date.Format("2006-01-02 15:04 MST"))
	p("")
	p("Produced by `go run ./bench/cmd/startup` (see bench/README.md). Numbers are as measured, never adjusted.")
	p("")
	p("* Host: %s; %s; %s", rep.Host, rep.Go, rep.QEMU)
	p("* Tree: %s", rep.Commit)
	if rep.LinuxKernel.Path != "" {
		p("* Baseline Linux guest kernel: %s", rep.LinuxKernel.Package)
	}
	if rep.UnigoErr != nil {
		p("* **unigo images could not be built**, so the unikernel rows are not measured:")
		p("")
		p("```")
		p("%s", strings.TrimSpace(rep.UnigoErr.Error()))
		p("```")
	}
	p("")

	p("## Image size (examples/hello)")
	p("")
	if rep.LinuxSize == 0 {
		p("Not measured (skipped).")
	} else {
		p("| build | bytes | ratio to Linux binary |")
		p("|---|---:|---:|")
		p("| static Linux binary (`CGO_ENABLED=0 go build`) | %s | 1.00 |", commas(fmt.Sprint(rep.LinuxSize)))
		if rep.UnigoSize > 0 {
			p("| unigo image (`unigo build`) | %s | %.3f× (target ≤ 1.15×) |", commas(fmt.Sprint(rep.UnigoSize)), float64(rep.UnigoSize)/float64(rep.LinuxSize))
		} else {
			p("| unigo image (`unigo build`) | not measured | |")
		}
	}
	p("")

	p("## Instructions from reset to main (bench/programs/hello-exit)")
	p("")
	p("QEMU microvm, TCG, `-icount shift=0,sleep=off`, 1 vCPU, %d MiB; counted by bench/plugin/insncount.so.", rep.MemMiB)
	p("")
	p("| run | firmware (reset → kernel entry) | reset → `main.main` | reset → exit (total) | wall time |")
	p("|---|---:|---:|---:|---:|")
	guestRow := func(name string, b *boot, err error, entries []uint64, mainAddr uint64) {
		switch {
		case err != nil:
			p("| %s | not measured: %s | | | |", name, oneLine(err.Error()))
			return
		case b == nil:
			p("| %s | not measured (skipped) | | | |", name)
			return
		case !b.ok():
			p("| %s | failed: %s | | %s | %v |", name, oneLine(b.describe()), millions(b.Insns), b.Wall.Round(time.Millisecond))
			return
		}
		fw := "not reached"
		for _, e := range entries {
			if n, ok := b.Marks[e]; ok {
				fw = fmt.Sprintf("%s (at %s)", millions(n), hex(e))
				break
			}
		}
		toMain := "not reached"
		if n, ok := b.Marks[mainAddr]; ok {
			toMain = "**" + millions(n) + "**"
			if len(b.ToMain) > 1 {
				toMain += fmt.Sprintf(" (median of %d: %s–%s)", len(b.ToMain), millions(b.ToMain[0]), millions(b.ToMain[len(b.ToMain)-1]))
			}
		}
		p("| %s | %s | %s | %s | %v |", name, fw, toMain, millions(b.Insns), b.Wall.Round(time.Millisecond))
	}
	if rep.UnigoErr != nil {
		guestRow("unigo unikernel", nil, fmt.Errorf("image build failed"), nil, 0)
	} else {
		guestRow("unigo unikernel", rep.Unigo, rep.UnigoBootErr, []uint64{rep.UnigoEntry}, rep.UnigoMain)
	}
	guestRow("Linux guest: Debian cloud kernel, program as /init", rep.LinuxGuest, rep.LinuxGuestErr, []uint64{linuxEntry32, linuxEntry64}, rep.LinuxMain)
	if pr := rep.Process; pr != nil {
		if pr.Err != nil {
			p("| Linux process | | | not measured: %s | |", oneLine(pr.Err.Error()))
		} else {
			p("| Linux process (user space only, see below) | n/a | n/a | %s (median of %d; %s–%s) | median %v, min %v of %d runs |",
				millions(pr.medianCount()), len(pr.Counts), millions(pr.Counts[0]), millions(pr.Counts[len(pr.Counts)-1]),
				pr.Median.Round(time.Microsecond), pr.Min.Round(time.Microsecond), pr.Runs)
		}
	}
	p("")
	if u, l := rep.Unigo, rep.LinuxGuest; u != nil && l != nil && u.ok() && l.ok() {
		un, uok := u.Marks[rep.UnigoMain]
		ln, lok := l.Marks[rep.LinuxMain]
		if uok && lok && un > 0 {
			p("Reset → main: unikernel / Linux guest = %.4f (Linux guest takes %.0f× as many). Target ≤ 10 M, goal 5 M: %s.",
				float64(un)/float64(ln), float64(ln)/float64(un), verdict(un <= 10e6, un <= 5e6))
			p("")
		}
	}
	p("Counts differ slightly between runs even under -icount (probably because the guests read the host's time, such as the RTC); each guest is booted %d times and the run with the median reset → `main.main` count is shown. Wall times under TCG include plugin overhead and are for orientation only.", guestRuns)
	p("")

	p("## Minimum memory (examples/hello, TCG, no -icount)")
	p("")
	if len(rep.MinMem) == 0 {
		p("Not measured (%s).", map[bool]string{true: "unigo images not built", false: "skipped"}[rep.UnigoErr != nil])
	} else {
		p("| guest memory | result | detail | wall time |")
		p("|---:|---|---|---:|")
		for _, m := range rep.MinMem {
			res := "FAIL"
			if m.Pass {
				res = "pass"
			}
			detail := m.Boot.describe()
			if !strings.Contains(m.Boot.Console, greeting) {
				detail += ", no greeting"
			}
			p("| %d MiB | %s | %s | %v |", m.MiB, res, detail, m.Boot.Wall.Round(time.Millisecond))
		}
		p("")
		p("Pass means exit status 0 through isa-debug-exit and %q on the console. Target: boots in 16 MiB (goal 8 MiB).", greeting)
	}
	p("")

	p("## What is counted")
	p("")
	p("* **Guest instructions**: every guest instruction QEMU executes, from the first instruction after reset (the firmware, qboot on microvm) onward; the plugin adds a translation block's instruction count each time the block starts. *reset → `main.main`* is the count when the block at the program's `main.main` first runs; *firmware* is the count when the kernel's entry first runs (unigo: the PVH entry from the image's note; Linux: `startup_32` at 0x100000 or `startup_64` at 0x100200 of the bzImage, whichever runs first).")
	p("* **The program** (bench/programs/hello-exit) stops the machine first thing in `main`. As a unikernel it calls `os.Exit(0)` and the kernel's exit_group writes the isa-debug-exit port. As Linux /init it gets the port with ioperm(2) and writes it (BENCH_EXIT_PORT=0xf4 from the kernel command line), so the Linux guest does not spend instructions panicking over a dying init. *reset → exit* therefore includes that short stop path.")
	p("* **Both guests** run on the same QEMU command line apart from `-kernel`, `-initrd` and `-append`; the machine options are unigo's own (internal/vmm/qemu).")
	if pr := rep.Process; pr != nil && pr.Err == nil {
		p("* **Linux process**: %s. This is the whole process (Go runtime start, `main`, exit) in user space; it excludes the kernel's execve, page faults and exit, which the guest counts include. The Go runtime's background threads make it vary from run to run, so it is the median of %d runs (%d attempted).", pr.Tool, len(pr.Counts), pr.Attempts)
		p("  Wall time is fork/exec to exit as seen by the parent (Go's os/exec), %d runs.", pr.Runs)
	}
	p("")

	var failed []*boot
	for _, b := range []*boot{rep.Unigo, rep.LinuxGuest} {
		if b != nil && !b.ok() {
			failed = append(failed, b)
		}
	}
	for _, m := range rep.MinMem {
		if !m.Pass {
			failed = append(failed, m.Boot)
		}
	}
	if len(failed) > 0 {
		p("## Failed boots: last console lines")
		p("")
		for _, b := range failed {
			p("%s (%s):", b.Name, oneLine(b.describe()))
			p("")
			p("```")
			p("%s", tail(strings.TrimSpace(b.Console), 12))
			p("```")
			p("")
		}
	}

	p("## Command lines")
	p("")
	p("```")
	for _, b := range []*boot{rep.Unigo, rep.LinuxGuest} {
		if b != nil {
			p("# %s", b.Name)
			p("%s", shellJoin(append([]string{"qemu-system-x86_64"}, b.Args...)))
		}
	}
	if len(rep.MinMem) > 0 {
		p("# %s (likewise for the other sizes)", rep.MinMem[0].Boot.Name)
		p("%s", shellJoin(append([]string{"qemu-system-x86_64"}, rep.MinMem[0].Boot.Args...)))
	}
	if pr := rep.Process; pr != nil && pr.Command != "" {
		p("# Linux process")
		p("%s", pr.Command)
	}
	p("```")
	return w.String()
}

func verdict(target, goal bool) string {
	switch {
	case goal:
		return "meets the goal"
	case target:
		return "meets the target, not the goal"
	}
	return "misses the target"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
