package cli

import (
	"io"
	"os"
	"time"

	"unigo.dev/unigo/internal/machine"
)

func runLogs(e *env, args []string) int {
	fs := newFlagSet(e, "logs", "[-f] name|id",
		"Logs prints a machine's console output, kept from its first byte. With -f\n"+
			"it keeps printing as the guest writes, until the machine exits.")
	follow := fs.Bool("f", false, "follow: keep streaming until the machine exits")
	fs.BoolVar(follow, "follow", false, "same as -f")
	dir := stateFlag(fs)
	names, status, ok := machineArgs(e, fs, args)
	if !ok {
		return status
	}
	if len(names) > 1 {
		return e.errorf(ExitUsage, "unigo: logs: one machine at a time (got %d)", len(names))
	}
	store, _, err := e.machines(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	m, ok := e.lookup(store, "logs", names[0])
	if !ok {
		return ExitError
	}
	f, err := os.Open(store.Path(m.ID, "console.log"))
	if os.IsNotExist(err) && m.State == machine.Created {
		f = nil // not started yet; follow waits for it
	} else if err != nil {
		return e.errorf(ExitError, "unigo: logs %s: %v", names[0], err)
	}
	for {
		if f == nil {
			f, _ = os.Open(store.Path(m.ID, "console.log"))
		}
		if f != nil {
			if _, err := io.Copy(e.stdout, f); err != nil {
				return e.errorf(ExitError, "unigo: logs %s: %v", names[0], err)
			}
		}
		if !*follow {
			break
		}
		if m.State == machine.Exited {
			// One more copy above caught what was written before the exit.
			break
		}
		time.Sleep(100 * time.Millisecond)
		if m, err = store.Get(m.ID); err != nil {
			break // removed
		}
	}
	if f != nil {
		f.Close()
	}
	return 0
}
