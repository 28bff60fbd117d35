package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/machine"
	"unigo.dev/unigo/internal/vmm/qemu"
)

// runSupervise is the hidden verb behind run -d: "unigo __supervise
// --state-dir DIR ID". It runs in its own session, owns QEMU as its child,
// records the machine's state, and reports on fd 3 ("ok" or "error: ...")
// once QEMU is up (its QMP socket exists) or has failed.
//
// QEMU writes the console straight into console.log (its stdout is that
// file), so the log holds every byte from the first even if this process
// dies; the exit status is recorded when QEMU is reaped.
func runSupervise(e *env, args []string) int {
	fs := newFlagSet(e, "__supervise", "--state-dir dir id", "internal: supervises a detached machine")
	dir := stateFlag(fs)
	if status, ok := parse(e, fs, args); !ok {
		return status
	}
	if fs.NArg() != 1 || *dir == "" {
		return e.errorf(ExitUsage, "unigo: __supervise: want --state-dir DIR ID")
	}
	id := fs.Arg(0)
	ready := os.NewFile(3, "ready")
	report := func(msg string) {
		if ready != nil {
			fmt.Fprintln(ready, msg)
			ready.Close()
			ready = nil
		}
	}
	defer report("error: the supervisor stopped unexpectedly")
	store, _, err := e.machines(*dir)
	if err != nil {
		report("error: " + err.Error())
		return ExitError
	}
	m, err := store.Get(id)
	if err != nil || len(m.Command) == 0 {
		report(fmt.Sprintf("error: machine %s: %v", id, err))
		return ExitError
	}
	fail := func(reason string) int {
		store.Update(id, func(r *machine.Machine) error {
			r.State, r.Reason, r.Finished = machine.Exited, reason, time.Now().UTC()
			return nil
		})
		report("error: " + reason)
		return ExitError
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	console, err := os.OpenFile(store.Path(id, "console.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fail(err.Error())
	}
	qlog, err := os.OpenFile(store.Path(id, "qemu.log"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fail(err.Error())
	}
	sock := store.Path(id, "qmp.sock")
	os.Remove(sock)
	cmd := exec.Command(m.Command[0], m.Command[1:]...)
	cmd.Stdout, cmd.Stderr = console, qlog
	// QEMU starts where run -d ran, so relative paths (--disk) mean what
	// they meant there; it has opened its files once the socket is up.
	cmd.Dir = "/"
	if st, err := os.Stat(m.Dir); err == nil && st.IsDir() {
		cmd.Dir = m.Dir
	}
	if err := cmd.Start(); err != nil {
		return fail("starting QEMU: " + err.Error())
	}
	console.Close()
	self, _ := machine.ProcOf(os.Getpid())
	vmm, err := machine.ProcOf(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fail("QEMU vanished at start: " + err.Error())
	}
	if err := store.Update(id, func(r *machine.Machine) error {
		r.State, r.Started = machine.Running, time.Now().UTC()
		r.Process, r.Supervisor = vmm, self
		return nil
	}); err != nil {
		// Removed under our feet (rm -f): leave nothing running.
		cmd.Process.Kill()
		cmd.Wait()
		report("error: " + err.Error())
		return ExitError
	}

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// QEMU creates its QMP socket once its command line is accepted and
	// the machine is built; from then on the guest is running.
	waitErr, up := waitForSocket(sock, exited)
	if up {
		report("ok")
		terms := make(chan os.Signal, 1)
		signal.Notify(terms, syscall.SIGTERM)
		go func() {
			for range terms {
				if err := qemu.Powerdown(sock); err != nil {
					fmt.Fprintf(os.Stderr, "SIGTERM: powerdown: %v; killing QEMU\n", err)
					vmm.Signal(syscall.SIGKILL)
				}
			}
		}()
		waitErr = <-exited
	}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) {
		fmt.Fprintf(os.Stderr, "waiting for QEMU: %v\n", waitErr)
	}
	qemuStderr := readAll(qlog)
	code, reason := outcome(cmd.ProcessState, qemuStderr, store.Path(id, "console.log"))
	os.Remove(sock)
	store.Update(id, func(r *machine.Machine) error {
		r.State, r.Finished = machine.Exited, time.Now().UTC()
		r.ExitCode, r.Reason = code, reason
		return nil
	})
	if !up {
		if guestRan(cmd.ProcessState, qemuStderr) {
			// The guest ran to its end before we saw the socket (a fast
			// exit while this process waited for a CPU): it did start,
			// and its status is recorded, as docker run -d does.
			report("ok")
		} else {
			report("error: " + reason)
		}
	}
	return 0
}

// guestRan reports whether QEMU ended because the guest exited through
// isa-debug-exit (not a signal, not a QEMU failure).
func guestRan(ps *os.ProcessState, qemuStderr string) bool {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return false
	}
	return qemu.Decode(ps.ExitCode(), qemuStderr).Kind == qemu.GuestExited
}

// waitForSocket waits until path exists (up) or QEMU exits.
func waitForSocket(path string, exited <-chan error) (waitErr error, up bool) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil, true
		}
		select {
		case err := <-exited:
			return err, false
		case <-tick.C:
		}
	}
}

// outcome turns QEMU's end into the machine's exit code and a reason.
func outcome(ps *os.ProcessState, qemuStderr, consoleLog string) (*int, string) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code := 128 + int(ws.Signal())
		return &code, fmt.Sprintf("the VMM was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	out := qemu.Decode(ps.ExitCode(), qemuStderr)
	switch out.Kind {
	case qemu.GuestExited:
		status := qemu.FullStatus(out.Status, lastLines(consoleLog, 3))
		return &status, fmt.Sprintf("the guest exited with status %d", status)
	case qemu.NoStatus:
		return nil, "the guest stopped without an exit status (reset or triple fault)"
	}
	return nil, "QEMU failed: " + out.Message
}

func readAll(f *os.File) string {
	f.Seek(0, io.SeekStart)
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return string(b)
}

// lastLines returns up to n last lines of the file at path.
func lastLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(st.Size()-4096, 0)
	b := make([]byte, st.Size()-off)
	f.ReadAt(b, off)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
