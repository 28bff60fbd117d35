package startup

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The HTTP report's comparison of where the two guests' instructions per
// request go: program side against kernel side (see symbols.go), groups
// side by side, what unigo's kernel adds to the code both guests share,
// and how the runs vary.

// sides sums a profile difference by side.
func sides(costs []funcCost) (program, kernel float64) {
	for _, c := range costs {
		if c.Kernel {
			kernel += c.Insns
		} else {
			program += c.Insns
		}
	}
	return program, kernel
}

// groupsOf returns the groups of one side, largest first.
func groupsOf(costs []funcCost, kernel bool) []funcCost {
	var out []funcCost
	for _, g := range byPackage(costs) {
		if g.Kernel == kernel && math.Round(g.Insns) != 0 {
			out = append(out, g)
		}
	}
	return out
}

// num formats instructions per request.
func num(v float64) string {
	return commas(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
}

// signed formats a difference with its sign.
func signed(v float64) string {
	if math.Round(v) == 0 {
		return "0"
	}
	if math.Round(v) > 0 {
		return "+" + num(v)
	}
	return num(v)
}

func pct(part, whole float64) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*part/whole)
}

// runsMarkdown lists each guest's runs with the median and the range.
func runsMarkdown(guests []*httpGuest) string {
	var b strings.Builder
	n := 0
	for _, g := range guests {
		n = max(n, len(g.Runs))
	}
	if n == 0 {
		return ""
	}
	b.WriteString("| guest |")
	for i := range n {
		fmt.Fprintf(&b, " run %d |", i+1)
	}
	b.WriteString(" median | range |\n|---|" + strings.Repeat("---:|", n+2) + "\n")
	for _, g := range guests {
		if len(g.Runs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s |", g.Name)
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range n {
			if i < len(g.Runs) {
				v := g.Runs[i].PerReq
				lo, hi = min(lo, v), max(hi, v)
				fmt.Fprintf(&b, " %s |", num(v))
			} else {
				b.WriteString(" |")
			}
		}
		fmt.Fprintf(&b, " %s | %s–%s (%s) |\n", num(g.InsnsPerReq), num(lo), num(hi), pct(hi-lo, g.InsnsPerReq))
	}
	return b.String()
}

// splitMarkdown compares the program and kernel sides of two profiles
// (the unikernel's and the Linux guest's median runs).
func splitMarkdown(uni, linux []funcCost, top int) string {
	var b strings.Builder
	up, uk := sides(uni)
	lp, lk := sides(linux)
	b.WriteString("| instructions per request | unigo | Linux guest | unigo − Linux |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| program: the server, the standard library and the runtime, as a Linux process runs them | %s (%s) | %s (%s) | %s |\n", num(up), pct(up, up+uk), num(lp), pct(lp, lp+lk), signed(up-lp))
	fmt.Fprintf(&b, "| kernel side | %s (%s) | %s (%s) | %s |\n", num(uk), pct(uk, up+uk), num(lk), pct(lk, lp+lk), signed(uk-lk))
	fmt.Fprintf(&b, "| total | %s | %s | %s |\n", num(up+uk), num(lp+lk), signed(up+uk-lp-lk))

	// What the shared code costs more in unigo.
	d := sharedDiff(uni, linux)
	var rt, other float64
	for _, c := range d {
		if c.Group == "runtime" || strings.HasPrefix(c.Group, "internal/runtime") {
			rt += c.Insns
		} else {
			other += c.Insns
		}
	}
	fmt.Fprintf(&b, "\nThe program side is not all the program's: unigo's kernel is Go code on the same runtime, so the runtime work its goroutines cause (scheduling them, allocating for them, timers) and the standard library code it calls (`time`, `sync`, `bytes`, … from gVisor) land in the program side's packages. The same program on Linux runs %s instructions per request there; unigo runs %s more (%s in `runtime` and `internal/runtime/*`, %s in other packages). That difference is an estimate of the kernel's share of the program side, not an exact figure: it also holds whatever the runtime does differently on the two kernels (how `netpoll` and idle sleeps meet the kernel, for instance). Counted that way, unigo's kernel costs about %s instructions per request against Linux's %s.\n",
		num(lp), signed(up-lp), signed(rt), signed(other), num(uk+up-lp), num(lk))

	// Kernel sides.
	b.WriteString("\nThe kernel sides by group: unigo's packages (`(asm, kernel)`: the kernel's assembly: trap entry and exit), the Linux kernel's subsystems by function-name prefix (`linux:vdso` is the vDSO, which runs in user mode; modules are grouped by module; the rules are in bench/startup/symbols.go):\n\n")
	ug, lg := groupsOf(uni, true), groupsOf(linux, true)
	b.WriteString("| unigo kernel group | instructions per request | share of kernel side | Linux kernel group | instructions per request | share of kernel side |\n|---|---:|---:|---|---:|---:|\n")
	for i := range max(len(ug), len(lg)) {
		if i == top {
			break
		}
		row := [2]string{"| | | |", " | | |"}
		if i < len(ug) {
			row[0] = fmt.Sprintf("| `%s` | %s | %s |", ug[i].Name, num(ug[i].Insns), pct(ug[i].Insns, uk))
		}
		if i < len(lg) {
			row[1] = fmt.Sprintf(" `%s` | %s | %s |", lg[i].Name, num(lg[i].Insns), pct(lg[i].Insns, lk))
		}
		b.WriteString(row[0] + row[1] + "\n")
	}

	// Program sides, package by package.
	b.WriteString("\nThe program sides, package by package:\n\n| package | unigo | Linux guest | unigo − Linux |\n|---|---:|---:|---:|\n")
	pu, pl := map[string]float64{}, map[string]float64{}
	var names []string
	for _, g := range groupsOf(uni, false) {
		pu[g.Name] = g.Insns
		names = append(names, g.Name)
	}
	for _, g := range groupsOf(linux, false) {
		if _, ok := pu[g.Name]; !ok {
			names = append(names, g.Name)
		}
		pl[g.Name] = g.Insns
	}
	slices.SortFunc(names, func(x, y string) int {
		if c := cmp.Compare(max(pu[y], pl[y]), max(pu[x], pl[x])); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	for i, n := range names {
		if i == top {
			break
		}
		if math.Round(pu[n]) == 0 && math.Round(pl[n]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n, num(pu[n]), num(pl[n]), signed(pu[n]-pl[n]))
	}

	// The shared functions that cost the most more in unigo.
	b.WriteString("\nThe program-side functions whose cost differs most (unigo − Linux guest), with calls per request:\n\n| function | unigo | calls | Linux guest | calls | unigo − Linux |\n|---|---:|---:|---:|---:|---:|\n")
	slices.SortFunc(d, func(x, y funcCost) int {
		if c := cmp.Compare(math.Abs(y.Insns), math.Abs(x.Insns)); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	um, lm := costIndex(uni), costIndex(linux)
	for i, c := range d {
		if i == top {
			break
		}
		u, l := um[c.Name], lm[c.Name]
		fmt.Fprintf(&b, "| `%s` | %s | %.1f | %s | %.1f | %s |\n", c.Name, num(u.Insns), u.Calls, num(l.Insns), l.Calls, signed(c.Insns))
	}
	return b.String()
}

func costIndex(costs []funcCost) map[string]funcCost {
	m := map[string]funcCost{}
	for _, c := range costs {
		m[c.Name] = c
	}
	return m
}

// sharedDiff returns, per program-side function of either profile, unigo's
// instructions and calls per request minus the Linux guest's.
func sharedDiff(uni, linux []funcCost) []funcCost {
	per := map[string]*funcCost{}
	add := func(costs []funcCost, sign float64) {
		for _, c := range costs {
			if c.Kernel {
				continue
			}
			d := per[c.Name]
			if d == nil {
				d = &funcCost{Name: c.Name, Group: c.Group}
				per[c.Name] = d
			}
			d.Insns += sign * c.Insns
			d.Calls += sign * c.Calls
		}
	}
	add(uni, 1)
	add(linux, -1)
	var out []funcCost
	for _, d := range per {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(x, y funcCost) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// variationMarkdown shows, for one guest's runs, the groups whose
// instructions per request vary the most between runs.
func variationMarkdown(g *httpGuest, top int) string {
	if len(g.Runs) < 2 || g.Runs[0].Profile == nil {
		return ""
	}
	per := map[string][]float64{}
	for i, r := range g.Runs {
		for _, p := range byPackage(r.Profile) {
			if per[p.Name] == nil {
				per[p.Name] = make([]float64, len(g.Runs))
			}
			per[p.Name][i] = p.Insns
		}
	}
	type row struct {
		name   string
		v      []float64
		spread float64
	}
	var rows []row
	for n, v := range per {
		rows = append(rows, row{n, v, slices.Max(v) - slices.Min(v)})
	}
	slices.SortFunc(rows, func(x, y row) int {
		if c := cmp.Compare(y.spread, x.spread); c != 0 {
			return c
		}
		return cmp.Compare(x.name, y.name)
	})
	var b strings.Builder
	b.WriteString("| group |")
	for i := range g.Runs {
		fmt.Fprintf(&b, " run %d |", i+1)
	}
	b.WriteString(" max − min |\n|---|" + strings.Repeat("---:|", len(g.Runs)+1) + "\n")
	b.WriteString("| **all** |")
	for _, r := range g.Runs {
		fmt.Fprintf(&b, " %s |", num(r.PerReq))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range g.Runs {
		lo, hi = min(lo, r.PerReq), max(hi, r.PerReq)
	}
	fmt.Fprintf(&b, " %s |\n", num(hi-lo))
	for i, r := range rows {
		if i == top {
			break
		}
		fmt.Fprintf(&b, "| `%s` |", r.name)
		for _, v := range r.v {
			fmt.Fprintf(&b, " %s |", num(v))
		}
		fmt.Fprintf(&b, " %s |\n", num(r.spread))
	}
	return b.String()
}
