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
	Tool     string // how instructions were counted
	Command  string
	Counts   []uint64 // instructions of each counted run, sorted
	Attempts int      // counting runs started (some may have crashed)
	Runs     int
	Median   time.Duration
	Min      time.Duration
	Err      error
}

// countRuns is how many runs the instruction count is the median of: the
// Go runtime starts threads whose work varies from run to run.
const countRuns = 7

var (
	callgrindTotal = regexp.MustCompile(`Collected\s*:\s*([0-9]+)`)
	perfTotal      = regexp.MustCompile(`^\s*([0-9]+),[^,]*,instructions`)
)

// medianCount returns the median instruction count.
func (p *processResult) medianCount() uint64 { return p.Counts[len(p.Counts)/2] }

// measureProcess counts the instructions of bin (perf stat when the host
// exposes hardware counters, else callgrind) and times process starts.
func (r *runner) measureProcess(ctx context.Context, bin string, runs int) processResult {
	var p processResult
	command := func(env []string, name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(hostEnv(), env...)
		return cmd
	}
	perfArgs := []string{"perf", "stat", "-x,", "-e", "instructions:u", "--", bin}
	for range countRuns {
		out, err := command(nil, perfArgs[0], perfArgs[1:]...).CombinedOutput()
		if err != nil {
			break
		}
		for line := range strings.SplitSeq(string(out), "\n") {
			if m := perfTotal.FindStringSubmatch(line); m != nil {
				n, _ := strconv.ParseUint(m[1], 10, 64)
				p.Counts = append(p.Counts, n)
			}
		}
		if len(p.Counts) == 0 {
			break // "<not supported>": no hardware counter (common in VMs)
		}
	}
	if len(p.Counts) > 0 {
		p.Tool = "perf stat -e instructions:u (user-space instructions, hardware counter)"
		p.Command = shellJoin(perfArgs)
		p.Attempts = countRuns
		r.logf("+ %s  (%d runs)", p.Command, countRuns)
	} else {
		if err := needTool("valgrind", "to count the instructions of the Linux process (perf has no instruction counter here)"); err != nil {
			p.Err = err
			return p
		}
		// Callgrind 3.19 sometimes fails an assertion when the Go runtime
		// sends itself SIGURG (asynchronous preemption), so that is off;
		// hello-exit never needs to be preempted.
		env := []string{"GODEBUG=asyncpreemptoff=1"}
		args := []string{"valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin}
		p.Command = envPrefix(env) + shellJoin(args)
		r.logf("+ %s  (%d runs)", p.Command, countRuns)
		var lastOut []byte
		for p.Attempts = 0; len(p.Counts) < countRuns && p.Attempts < 3*countRuns; p.Attempts++ {
			out, _ := command(env, args[0], args[1:]...).CombinedOutput()
			if m := callgrindTotal.FindSubmatch(out); m != nil {
				n, _ := strconv.ParseUint(string(m[1]), 10, 64)
				p.Counts = append(p.Counts, n)
			} else {
				lastOut = out
			}
		}
		if len(p.Counts) < countRuns {
			p.Err = fmt.Errorf("callgrind gave a total in only %d of %d runs; last output:\n%s", len(p.Counts), p.Attempts, tail(string(lastOut), 10))
			return p
		}
		p.Tool = "valgrind --tool=callgrind (user-space instructions of all threads; perf has no instruction counter on this host)"
	}
	slices.Sort(p.Counts)
	// Wall clock from fork to exit, as seen by the parent.
	var d []time.Duration
	for range runs {
		start := time.Now()
		if err := command(nil, bin).Run(); err != nil {
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
