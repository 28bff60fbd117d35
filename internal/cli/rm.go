package cli

import (
	"fmt"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/machine"
)

func runRm(e *env, args []string) int {
	fs := newFlagSet(e, "rm", "[-f] name|id...",
		"Rm removes machines and every trace of them: record, console log, image\n"+
			"copy, sockets. A running machine is refused unless -f, which kills it\n"+
			"first; so is a machine still being created (its run -d is stopped).")
	force := fs.Bool("f", false, "kill the machine first if it is running")
	fs.BoolVar(force, "force", false, "same as -f")
	dir := stateFlag(fs)
	names, status, ok := machineArgs(e, fs, args)
	if !ok {
		return status
	}
	store, _, err := e.machines(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	status = 0
	for _, n := range names {
		m, ok := e.lookup(store, "rm", n)
		if !ok {
			status = ExitError
			continue
		}
		busy := m.State == machine.Running || (m.State == machine.Created && m.Supervisor.Alive())
		if busy && !*force {
			status = e.errorf(ExitError, "unigo: rm %s: the machine is %s: stop it first ('unigo stop %s') or use 'unigo rm -f %s'", n, m.State, n, n)
			continue
		}
		killVMM(m)
		// The supervisor exits once it has recorded the end; make sure.
		if !waitGone(m.Supervisor, 5*time.Second) {
			m.Supervisor.Signal(syscall.SIGKILL)
			waitGone(m.Supervisor, 5*time.Second)
		}
		if err := store.Remove(m.ID); err != nil {
			status = e.errorf(ExitError, "unigo: rm %s: %v", n, err)
			continue
		}
		fmt.Fprintln(e.stdout, m.Name)
	}
	return status
}
