package cli

import "unigo.dev/unigo/internal/machine"

func runInspect(e *env, args []string) int {
	fs := newFlagSet(e, "inspect", "name|id...",
		"Inspect prints the records of machines as a JSON array: image, arguments,\n"+
			"environment, memory, ports, state, exit code, VMM pid and start time, and\n"+
			"the VMM command line.")
	dir := stateFlag(fs)
	names, status, ok := machineArgs(e, fs, args)
	if !ok {
		return status
	}
	store, _, err := e.machines(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	var out []*machine.Machine
	for _, n := range names {
		m, ok := e.lookup(store, "inspect", n)
		if !ok {
			return ExitError
		}
		out = append(out, m)
	}
	return e.printJSON(out)
}
