package cli

import (
	"fmt"
	"syscall"
	"time"

	"unigo.dev/unigo/internal/machine"
	"unigo.dev/unigo/internal/vmm/qemu"
)

func runStop(e *env, args []string) int {
	fs := newFlagSet(e, "stop", "[-t duration] name|id...",
		"Stop shuts machines down gracefully: it presses the guest's ACPI power\n"+
			"button (QMP system_powerdown), which the unigo kernel turns into SIGTERM\n"+
			"for the program, and waits for the guest to exit. A guest still running\n"+
			"after -t is killed (exit status 137). Stopping an exited machine does\n"+
			"nothing.")
	grace := fs.Duration("t", 10*time.Second, "how long the guest gets to exit before it is killed")
	fs.DurationVar(grace, "time", 10*time.Second, "same as -t")
	dir := stateFlag(fs)
	names, status, ok := machineArgs(e, fs, args)
	if !ok {
		return status
	}
	return e.eachMachine(*dir, "stop", names, func(store *machine.Store, n string, m *machine.Machine) bool {
		if m.State == machine.Running {
			if err := qemu.Powerdown(store.Path(m.ID, "qmp.sock")); err != nil {
				fmt.Fprintf(e.stderr, "unigo: stop %s: the power button did not work (%v): killing the guest\n", n, err)
			} else if !waitGone(m.Process, *grace) {
				fmt.Fprintf(e.stderr, "unigo: stop %s: the guest did not exit within %v: killed it\n", n, *grace)
			}
			killVMM(m)
		}
		waitRecorded(store, m)
		fmt.Fprintln(e.stdout, m.Name)
		return true
	})
}

// waitGone waits up to d for p to exit.
func waitGone(p machine.Proc, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for p.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// killVMM kills m's VMM process if it still runs and waits for it to die.
func killVMM(m *machine.Machine) {
	if m.Process.Signal(syscall.SIGKILL) {
		waitGone(m.Process, 5*time.Second)
	}
}

// waitRecorded waits (briefly) for the supervisor to record how the
// machine ended, so that ps and inspect right after stop show it.
func waitRecorded(store *machine.Store, m *machine.Machine) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && m.Supervisor.Alive() {
		r, err := store.Get(m.ID)
		if err != nil || (r.State == machine.Exited && !r.Finished.IsZero()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
