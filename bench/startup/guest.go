package startup

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"unigo.dev/unigo/internal/vmm/qemu"
)

// boot is one QEMU run and what came out of it.
type boot struct {
	Name    string
	Args    []string // QEMU arguments, without the program name
	Console string
	Outcome qemu.Outcome
	Wall    time.Duration
	Insns   uint64            // total guest instructions (0 without the plugin)
	Marks   map[uint64]uint64 // mark address → instructions before it
	ToMain  []uint64          // with countMedian: reset → main of every run, sorted
	Err     error             // QEMU could not run, or timed out
}

// ok reports whether the guest stopped through isa-debug-exit with status 0.
func (b *boot) ok() bool {
	return b.Err == nil && b.Outcome.Kind == qemu.GuestExited && b.Outcome.Status == 0
}

// describe says how the run ended, for the report.
func (b *boot) describe() string {
	switch {
	case b.Err != nil:
		return b.Err.Error()
	case b.Outcome.Kind == qemu.GuestExited:
		return fmt.Sprintf("exit status %d", b.Outcome.Status)
	case b.Outcome.Kind == qemu.NoStatus:
		return "stopped without a status (reset or triple fault)"
	case b.Outcome.Kind == qemu.QEMUFailed:
		return "QEMU failed: " + b.Outcome.Message
	}
	return fmt.Sprintf("QEMU exit code %d", b.Outcome.Code)
}

// runQEMU boots a guest. With count set it loads the instruction-counting
// plugin (marks are guest virtual addresses to note the count at).
func (r *runner) runQEMU(ctx context.Context, name string, args []string, count bool, marks []uint64, timeout time.Duration) *boot {
	b := &boot{Name: name, Marks: map[uint64]uint64{}}
	var countFile string
	if count {
		f, err := os.CreateTemp(r.cache, "insns-*.txt")
		if err != nil {
			b.Err = err
			return b
		}
		f.Close()
		countFile = f.Name()
		defer os.Remove(countFile)
		var ms string
		for _, m := range marks {
			ms += fmt.Sprintf(",mark=%#x", m)
		}
		// The report shows a fixed outfile so that it stays pasteable
		// and does not change from run to run.
		b.Args = append(append([]string{}, args...), "-plugin", r.plugin+",outfile=/tmp/insns.txt"+ms)
		args = append(append([]string{}, args...), "-plugin", r.plugin+",outfile="+countFile+ms)
	} else {
		b.Args = args
	}
	r.logf("+ %s", shellJoin(append([]string{r.qemuPath}, args...)))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.qemuPath, args...)
	var console, stderr bytes.Buffer
	cmd.Stdout = &console
	if r.verbose {
		cmd.Stdout = io.MultiWriter(&console, r.stderr)
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	b.Wall = time.Since(start)
	b.Console = console.String()
	code := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		b.Err = fmt.Errorf("timed out after %v", timeout)
		return b
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		b.Err = err
		return b
	}
	b.Outcome = qemu.Decode(code, stderr.String())
	if count {
		if err := b.readCounts(countFile); err != nil && b.Outcome.Kind != qemu.QEMUFailed {
			b.Err = err
		}
	}
	r.logf("  %s: %s in %v, %d instructions", name, b.describe(), b.Wall.Round(time.Millisecond), b.Insns)
	return b
}

// readCounts parses the plugin's output file (see bench/plugin/insncount.c).
func (b *boot) readCounts(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "insns":
			b.Insns, err = strconv.ParseUint(f[1], 10, 64)
			found = err == nil
		case len(f) == 3 && f[0] == "mark":
			addr, err1 := strconv.ParseUint(f[1], 0, 64)
			n, err2 := strconv.ParseUint(f[2], 10, 64)
			if err1 == nil && err2 == nil {
				b.Marks[addr] = n
			}
		}
	}
	if !found {
		return fmt.Errorf("the counting plugin wrote no total to %s (got %q)", path, data)
	}
	return nil
}

// symbolAddr returns the address of an ELF symbol, such as main.main.
func symbolAddr(path, name string) (uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value, nil
		}
	}
	return 0, fmt.Errorf("%s has no symbol %s", path, name)
}

// buildPlugin compiles bench/plugin/insncount.c into the cache.
func (r *runner) buildPlugin(ctx context.Context) error {
	if err := needTool("gcc", "to build the instruction-counting QEMU plugin"); err != nil {
		return err
	}
	src := filepath.Join(r.repo, "bench", "plugin", "insncount.c")
	r.plugin = filepath.Join(r.cache, "insncount.so")
	_, err := r.output(ctx, "", "gcc", "-shared", "-fPIC", "-O2", "-Wall", "-pthread", "-o", r.plugin, src)
	return err
}

// countMedian boots a counting guest n times and returns the run with the
// median count at mainAddr, with every run's count in ToMain. Guests see
// the host's time (RTC), so counts differ slightly from run to run even
// under -icount. A failed run is returned at once.
func (r *runner) countMedian(ctx context.Context, name string, args []string, marks []uint64, mainAddr uint64, n int, timeout time.Duration) *boot {
	var boots []*boot
	for i := range n {
		b := r.runQEMU(ctx, fmt.Sprintf("%s (run %d of %d)", name, i+1, n), args, true, marks, timeout)
		b.Name = name
		if _, ok := b.Marks[mainAddr]; !b.ok() || !ok {
			return b
		}
		boots = append(boots, b)
	}
	slices.SortFunc(boots, func(a, b *boot) int { return cmp.Compare(a.Marks[mainAddr], b.Marks[mainAddr]) })
	med := boots[len(boots)/2]
	for _, b := range boots {
		med.ToMain = append(med.ToMain, b.Marks[mainAddr])
	}
	return med
}
