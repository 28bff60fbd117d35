package startup

import (
	"bufio"
	"cmp"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Instruction profiles: the counting plugin's profile= output (one line
// per translation block: start address, size, executions, instructions
// run) attributed to the functions of the guest's ELF symbol table. Two
// profiles of boots that differ only in the work done (say 200 and 1200
// requests) subtract to the instructions that work costs, per function.

// tbProfile maps a TB start address to its counts.
type tbProfile map[uint64]tbCount

// tbCount is how often a TB ran and the instructions it executed.
type tbCount struct{ Execs, Insns uint64 }

// readProfile parses a profile= file.
func readProfile(path string) (tbProfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProfile(f, path)
}

func parseProfile(r io.Reader, name string) (tbProfile, error) {
	p := tbProfile{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) != 5 || f[0] != "tb" {
			return nil, fmt.Errorf("%s:%d: %q is not a profile line (want \"tb 0xADDR INSNS EXECS TOTAL\")", name, line, sc.Text())
		}
		addr, err1 := strconv.ParseUint(f[1], 0, 64)
		execs, err2 := strconv.ParseUint(f[3], 10, 64)
		total, err3 := strconv.ParseUint(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("%s:%d: %q: bad number", name, line, sc.Text())
		}
		c := p[addr]
		c.Execs += execs
		c.Insns += total
		p[addr] = c
	}
	return p, sc.Err()
}

// symtab finds the function containing an address.
type symtab struct {
	addrs []uint64
	names []string
}

// loadSymtab reads the function symbols of an ELF file.
func loadSymtab(path string) (*symtab, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return newSymtab(syms), nil
}

func newSymtab(syms []elf.Symbol) *symtab {
	var fn []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			fn = append(fn, s)
		}
	}
	slices.SortFunc(fn, func(a, b elf.Symbol) int { return cmp.Compare(a.Value, b.Value) })
	t := &symtab{}
	for _, s := range fn {
		t.addrs = append(t.addrs, s.Value)
		t.names = append(t.names, s.Name)
	}
	return t
}

// lookup returns the function containing addr, or "?" outside the image,
// and whether addr is the function's first instruction.
func (t *symtab) lookup(addr uint64) (string, bool) {
	i := sort.Search(len(t.addrs), func(i int) bool { return t.addrs[i] > addr }) - 1
	if i < 0 {
		return "?", false
	}
	return t.names[i], t.addrs[i] == addr
}

// funcCost is one function's share of a profile difference.
type funcCost struct {
	Name  string
	Insns float64 // per unit of work (request)
	Calls float64 // entries (runs of its first TB) per unit
	Share float64 // of the whole difference
	Cumul float64 // running share, in order
}

// diffProfiles returns the per-function instructions of b minus a, divided
// by units, largest first.
func diffProfiles(a, b tbProfile, t *symtab, units int) []funcCost {
	per := map[string]*funcCost{}
	var total float64
	add := func(addr uint64, d tbCount, sign float64) {
		name, entry := t.lookup(addr)
		c := per[name]
		if c == nil {
			c = &funcCost{Name: name}
			per[name] = c
		}
		c.Insns += sign * float64(d.Insns)
		if entry {
			c.Calls += sign * float64(d.Execs)
		}
		total += sign * float64(d.Insns)
	}
	for addr, n := range b {
		add(addr, n, 1)
	}
	for addr, n := range a {
		add(addr, n, -1)
	}
	var out []funcCost
	for _, c := range per {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y funcCost) int {
		if c := cmp.Compare(y.Insns, x.Insns); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	var run float64
	for i := range out {
		if total != 0 {
			out[i].Share = out[i].Insns / total
		}
		run += out[i].Share
		out[i].Cumul = run
		out[i].Insns /= float64(units)
		out[i].Calls /= float64(units)
	}
	return out
}

// byPackage sums function costs by package (the import path before the
// function name; assembly symbols without one are "(asm)").
func byPackage(costs []funcCost) []funcCost {
	per := map[string]*funcCost{}
	for _, c := range costs {
		pkg := packageOf(c.Name)
		p := per[pkg]
		if p == nil {
			p = &funcCost{Name: pkg}
			per[pkg] = p
		}
		p.Insns += c.Insns
		p.Share += c.Share
	}
	var out []funcCost
	for _, p := range per {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(x, y funcCost) int {
		if c := cmp.Compare(y.Insns, x.Insns); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	var run float64
	for i := range out {
		run += out[i].Share
		out[i].Cumul = run
	}
	return out
}

// packageOf returns the package path of a Go symbol name such as
// "gvisor.dev/gvisor/pkg/buffer.(*Buffer).PullUp" or "runtime.memmove".
func packageOf(name string) string {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "(asm)"
	}
	return name[:slash+1+dot]
}

// profileMarkdown renders the top n functions as a table.
func profileMarkdown(costs []funcCost, n int) string {
	var b strings.Builder
	b.WriteString("| package | instructions per request | share | cumulative |\n|---|---:|---:|---:|\n")
	for i, c := range byPackage(costs) {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "| `%s` | %s | %.1f%% | %.1f%% |\n", c.Name, commas(strconv.FormatFloat(c.Insns, 'f', 0, 64)), 100*c.Share, 100*c.Cumul)
	}
	b.WriteString("\n| function | instructions per request | calls per request | share | cumulative |\n|---|---:|---:|---:|---:|\n")
	for i, c := range costs {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "| `%s` | %s | %.1f | %.1f%% | %.1f%% |\n", c.Name, commas(strconv.FormatFloat(c.Insns, 'f', 0, 64)), c.Calls, 100*c.Share, 100*c.Cumul)
	}
	return b.String()
}
