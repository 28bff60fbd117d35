package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Outcome kinds of a QEMU run.
const (
	GuestExited = iota // the guest reported Status through isa-debug-exit
	NoStatus           // QEMU exited 0: guest reset or triple fault
	QEMUFailed         // QEMU itself failed; see Message
	Killed             // stopped by us (context cancelled: timeout or signal)
)

// Outcome is how a guest run ended.
type Outcome struct {
	Kind    int
	Status  int    // guest exit status when Kind == GuestExited
	Code    int    // QEMU's raw exit code (-1 when killed by a signal)
	Message string // QEMU's error output when Kind == QEMUFailed
}

// Decode interprets QEMU's exit code and its standard-error output.
//
// isa-debug-exit makes QEMU exit with (s<<1)|1, so exit 1 is ambiguous:
// guest status 0, or a QEMU error (bad option, missing kernel). QEMU prints
// its errors as "qemu-system-x86_64: ..." lines on stderr, so exit 1 with
// such a line (other than a warning) is a QEMU failure.
func Decode(code int, stderr string) Outcome {
	switch {
	case code < 0:
		return Outcome{Kind: Killed, Code: code}
	case code == 0:
		return Outcome{Kind: NoStatus, Code: code}
	case code == 1 && hasError(stderr):
		return Outcome{Kind: QEMUFailed, Code: code, Message: errorText(stderr)}
	case code&1 == 1:
		return Outcome{Kind: GuestExited, Code: code, Status: code >> 1}
	}
	msg := errorText(stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", code)
	}
	return Outcome{Kind: QEMUFailed, Code: code, Message: msg}
}

func errorLines(stderr string) []string {
	var out []string
	for line := range strings.SplitSeq(stderr, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, "warning:") {
			continue
		}
		out = append(out, line)
	}
	return out
}

func hasError(stderr string) bool { return len(errorLines(stderr)) > 0 }

func errorText(stderr string) string { return strings.Join(errorLines(stderr), "; ") }

// Process describes how to run QEMU.
type Process struct {
	Path    string    // QEMU binary
	Args    []string  // from [Config.Args]
	Stdin   io.Reader // console input; nil means none
	Console io.Writer // console output, streamed as it comes
	// StopGrace is how long QEMU gets between SIGTERM and SIGKILL when the
	// context is cancelled; 0 means 2 s.
	StopGrace time.Duration
	// Powerdown, when it fires, asks the guest to shut down through the
	// QMP socket QMP (the ACPI power button); QEMU is killed if it is still
	// running PowerdownGrace later (0 means 10 s).
	Powerdown      <-chan struct{}
	QMP            string
	PowerdownGrace time.Duration
}

// CommandLine returns the command as a shell-quoted line to paste.
func (p *Process) CommandLine() string {
	parts := []string{shellQuote(p.Path)}
	for _, a := range p.Args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+,./:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run starts QEMU and waits for it. Cancelling ctx stops QEMU (SIGTERM, then
// SIGKILL after StopGrace) and yields an Outcome of kind Killed. QEMU runs in
// its own process group so that a terminal's Ctrl-C reaches only unigo.
func (p *Process) Run(ctx context.Context) (Outcome, error) {
	cmd := exec.Command(p.Path, p.Args...)
	var stderr bytes.Buffer
	cmd.Stdout = p.Console
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Stop waiting for output a second after QEMU is gone, in case a child
	// it spawned (a helper script) still holds the console pipe.
	cmd.WaitDelay = time.Second
	var stdinPipe io.WriteCloser
	if p.Stdin != nil {
		var err error
		if stdinPipe, err = cmd.StdinPipe(); err != nil {
			return Outcome{}, err
		}
	}
	slog.Debug("starting qemu", "command", p.CommandLine())
	if err := cmd.Start(); err != nil {
		return Outcome{}, err
	}
	if stdinPipe != nil {
		// Not waited for: a console reader blocked on a terminal must not
		// keep unigo alive after the guest is gone.
		go func() {
			io.Copy(stdinPipe, p.Stdin)
			stdinPipe.Close()
		}()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		powerdown := p.Powerdown
		var deadline <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-powerdown:
				powerdown = nil
				grace := p.PowerdownGrace
				if grace == 0 {
					grace = 10 * time.Second
				}
				if err := Powerdown(p.QMP); err != nil {
					slog.Debug("powerdown failed; stopping QEMU", "err", err)
					syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
				}
				deadline = time.After(grace)
				continue
			case <-deadline:
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				deadline = nil
				continue
			case <-ctx.Done():
				grace := p.StopGrace
				if grace == 0 {
					grace = 2 * time.Second
				}
				// QEMU leads its own process group; signal the group.
				syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
				select {
				case <-done:
				case <-time.After(grace):
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				}
				return
			}
		}
	})
	err := cmd.Wait()
	close(done)
	wg.Wait()
	if ctx.Err() != nil {
		return Outcome{Kind: Killed, Code: -1}, nil
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, exec.ErrWaitDelay) {
		return Outcome{}, err
	}
	code := cmd.ProcessState.ExitCode()
	if stderr.Len() > 0 {
		slog.Debug("qemu stderr", "text", stderr.String())
	}
	return Decode(code, stderr.String()), nil
}

// Lookup finds the QEMU binary: explicit if non-empty, else $UNIGO_QEMU,
// else qemu-system-x86_64 on PATH.
func Lookup(explicit string) (string, error) {
	name := explicit
	if name == "" {
		name = os.Getenv("UNIGO_QEMU")
	}
	if name == "" {
		name = "qemu-system-x86_64"
	}
	return exec.LookPath(name)
}

// FullStatus recovers an exit status above 127, which QEMU's isa-debug-exit
// cannot carry (its exit code is status<<1|1, truncated to 8 bits): the
// kernel then prints "exit: status N" as its last console line.
func FullStatus(status int, lines []string) int {
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-3; i-- {
		_, after, ok := strings.Cut(lines[i], "exit: status ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(after))
		if err == nil && n >= 128 && n <= 255 && n&127 == status {
			return n
		}
	}
	return status
}
