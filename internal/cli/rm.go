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
	return e.eachMachine(*dir, "rm", names, func(store *machine.Store, n string, m *machine.Machine) bool {
		busy := m.State == machine.Running || (m.State == machine.Created && m.Supervisor.Alive())
		if busy && !*force {
			e.errorf(ExitError, "unigo: rm %s: the machine is %s: stop it first ('unigo stop %s') or use 'unigo rm -f %s'", n, m.State, n, n)
			return false
		}
		killVMM(m)
		// The supervisor exits once it has recorded the end; make sure.
		if !waitGone(m.Supervisor, 5*time.Second) {
			m.Supervisor.Signal(syscall.SIGKILL)
			waitGone(m.Supervisor, 5*time.Second)
		}
		if err := store.Remove(m.ID); err != nil {
			e.errorf(ExitError, "unigo: rm %s: %v", n, err)
			return false
		}
		fmt.Fprintln(e.stdout, m.Name)
		return true
	})
}
