package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"unigo.dev/unigo/internal/machine"
)

func runPs(e *env, args []string) int {
	fs := newFlagSet(e, "ps", "[-a] [-q] [--json]",
		"Ps lists the machines started with 'unigo run -d': running ones, or all\n"+
			"with -a. A machine whose VMM process is gone (killed, host rebooted) is\n"+
			"shown as exited, never as running.")
	all := fs.Bool("a", false, "list all machines, exited ones too")
	fs.BoolVar(all, "all", false, "same as -a")
	quiet := fs.Bool("q", false, "print only the names")
	asJSON := fs.Bool("json", false, "print a JSON array of machine records (as unigo inspect)")
	dir := stateFlag(fs)
	if status, ok := parse(e, fs, args); !ok {
		return status
	}
	if fs.NArg() > 0 {
		return e.errorf(ExitUsage, "unigo: ps: unexpected argument %q: ps takes only flags", fs.Arg(0))
	}
	store, _, err := e.machines(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	list, err := store.List()
	if err != nil {
		return e.errorf(ExitError, "unigo: ps: %v", err)
	}
	shown := []*machine.Machine{}
	for _, m := range list {
		if *all || m.State != machine.Exited {
			shown = append(shown, m)
		}
	}
	switch {
	case *asJSON:
		return e.printJSON(shown)
	case *quiet:
		for _, m := range shown {
			fmt.Fprintln(e.stdout, m.Name)
		}
		return 0
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tIMAGE\tSTATUS\tCREATED\tMEMORY\tVMM\tPORTS")
	now := time.Now()
	for _, m := range shown {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s ago\t%dM\t%s\t%s\n", m.Name, m.ID, shorten(m.Image, 32),
			status(m, now), ago(now.Sub(m.Created)), m.MemoryMiB, m.VMM, strings.Join(m.Ports, ","))
	}
	tw.Flush()
	return 0
}

func (e *env) printJSON(v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return e.errorf(ExitError, "unigo: %v", err)
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return 0
}

// status is a machine's STATUS column: "running 5s", "exited (0) 3s ago".
func status(m *machine.Machine, now time.Time) string {
	switch m.State {
	case machine.Running:
		return "running " + ago(now.Sub(m.Started))
	case machine.Exited:
		code := "?"
		if m.ExitCode != nil {
			code = fmt.Sprint(*m.ExitCode)
		}
		if m.Finished.IsZero() {
			return "exited (" + code + ")"
		}
		return fmt.Sprintf("exited (%s) %s ago", code, ago(now.Sub(m.Finished)))
	}
	return string(m.State)
}

// ago formats a duration the way people read it in a table.
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}

// machineArgs parses "[flags] name..." for the verbs that act on machines.
func machineArgs(e *env, fs *flagSet, args []string) ([]string, int, bool) {
	// Flags may follow names: unigo rm web -f.
	var names []string
	for {
		if status, ok := parse(e, fs, args); !ok {
			return nil, status, false
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) == 0 {
		if fs.Name() == "rmi" {
			return nil, e.errorf(ExitUsage, "unigo: rmi: no image named: see 'unigo images' for the references"), false
		}
		return nil, e.errorf(ExitUsage, "unigo: %s: no machine named: see 'unigo ps -a' for the names", fs.Name()), false
	}
	return names, 0, true
}

// lookup finds a machine for a verb, or prints why not.
func (e *env) lookup(store *machine.Store, verb, ref string) (*machine.Machine, bool) {
	m, err := store.Get(ref)
	if err != nil {
		hint := "see 'unigo ps -a' for the machines"
		if strings.Contains(err.Error(), "ambiguous") {
			hint = "give more of the id, or the name"
		}
		e.errorf(ExitError, "unigo: %s %s: %v: %s", verb, ref, err, hint)
		return nil, false
	}
	return m, true
}

// eachMachine opens the state directory dir and runs fn on each named
// machine in turn (verb names the command in errors). It returns
// ExitError if a name is unknown or fn reported a failure, else 0.
func (e *env) eachMachine(dir, verb string, names []string, fn func(store *machine.Store, name string, m *machine.Machine) bool) int {
	store, _, err := e.machines(dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	status := 0
	for _, n := range names {
		m, ok := e.lookup(store, verb, n)
		if !ok || !fn(store, n, m) {
			status = ExitError
		}
	}
	return status
}
