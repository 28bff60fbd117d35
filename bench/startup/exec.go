package startup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// needTool fails clearly when a program the benchmark runs is missing.
func needTool(name, why string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s not found on PATH: it is needed %s; install it (Debian: apt-get install %s)", name, why, debianPackage(name))
	}
	return nil
}

func debianPackage(tool string) string {
	switch tool {
	case "qemu-system-x86_64":
		return "qemu-system-x86"
	case "apt-cache", "apt-get":
		return "apt"
	case "dpkg-deb":
		return "dpkg"
	case "perf":
		return "linux-perf"
	}
	return tool
}

// output runs a command in dir (the repository when empty), logs its
// command line, and returns its standard output. On failure the error
// carries the tail of its combined output.
func (r *runner) output(ctx context.Context, dir, name string, args ...string) (string, error) {
	return r.outputEnv(ctx, dir, nil, name, args...)
}

func (r *runner) outputEnv(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	if dir == "" {
		dir = r.repo
	}
	r.logf("+ %s%s", envPrefix(env), shellJoin(append([]string{name}, args...)))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v\n%s", err, tail(stderr.String()+stdout.String(), 15))
	}
	return stdout.String(), nil
}

func envPrefix(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// shellJoin quotes args so that the line can be pasted into a POSIX shell.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./=:,+@%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
