package startup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// processResult is the hello-exit binary run as an ordinary Linux process.
type processResult struct {
	Tool    string // how instructions were counted
	Command string
	Insns   uint64
	Runs    int
	Median  time.Duration
	Min     time.Duration
	Err     error
}

var (
	callgrindTotal = regexp.MustCompile(`Collected\s*:\s*([0-9]+)`)
	perfTotal      = regexp.MustCompile(`^\s*([0-9]+),[^,]*,instructions`)
)

// measureProcess counts the instructions of one run of bin (perf stat when
// the host exposes hardware counters, else callgrind) and times runs
// process starts.
func (r *runner) measureProcess(ctx context.Context, bin string, runs int) processResult {
	var p processResult
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = hostEnv()
		return cmd
	}
	if out, err := command("perf", "stat", "-x,", "-e", "instructions:u", "--", bin).CombinedOutput(); err == nil {
		for line := range strings.SplitSeq(string(out), "\n") {
			if m := perfTotal.FindStringSubmatch(line); m != nil {
				p.Insns, _ = strconv.ParseUint(m[1], 10, 64)
				p.Tool = "perf stat -e instructions:u (user-space instructions, hardware counter)"
				p.Command = shellJoin([]string{"perf", "stat", "-x,", "-e", "instructions:u", "--", bin})
				r.logf("+ %s", p.Command)
			}
		}
	}
	if p.Tool == "" {
		// perf is missing or the counter is <not supported> (common in VMs).
		if err := needTool("valgrind", "to count the instructions of the Linux process (perf has no instruction counter here)"); err != nil {
			p.Err = err
			return p
		}
		args := []string{"valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin}
		p.Command = shellJoin(args)
		r.logf("+ %s", p.Command)
		out, _ := command(args[0], args[1:]...).CombinedOutput()
		m := callgrindTotal.FindSubmatch(out)
		if m == nil {
			p.Err = fmt.Errorf("no instruction total in callgrind output:\n%s", tail(string(out), 10))
			return p
		}
		p.Insns, _ = strconv.ParseUint(string(m[1]), 10, 64)
		p.Tool = "valgrind --tool=callgrind (user-space instructions; perf has no instruction counter on this host)"
	}
	// Wall clock from fork to exit, as seen by the parent.
	var d []time.Duration
	for range runs {
		start := time.Now()
		if err := command(bin).Run(); err != nil {
			p.Err = fmt.Errorf("%s: %v", bin, err)
			return p
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	p.Runs, p.Min, p.Median = runs, d[0], d[len(d)/2]
	return p
}

// hostEnv is the environment for hello-exit on the host: without
// BENCH_EXIT_PORT, which would make it write to a real I/O port.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BENCH_EXIT_PORT=") {
			env = append(env, kv)
		}
	}
	return env
}
