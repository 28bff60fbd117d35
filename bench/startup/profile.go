package startup

import (
	"bufio"
	"cmp"
	"debug/elf"
	"fmt"
	"io"
	"math"
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
	// end bounds the last function (0: unbounded): addresses at or
	// beyond it are outside the table.
	end uint64
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
	t := newSymtab(syms)
	// Code ends with the executable sections, not at the last symbol
	// (runtime.etext has no size).
	t.end = 0
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_EXECINSTR != 0 {
			t.end = max(t.end, s.Addr+s.Size)
		}
	}
	return t, nil
}

func newSymtab(syms []elf.Symbol) *symtab {
	var fn []elf.Symbol
	t := &symtab{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			fn = append(fn, s)
		}
	}
	slices.SortFunc(fn, func(a, b elf.Symbol) int { return cmp.Compare(a.Value, b.Value) })
	if n := len(fn); n > 0 && fn[n-1].Size > 0 {
		t.end = fn[n-1].Value + fn[n-1].Size
	}
	for _, s := range fn {
		t.addrs = append(t.addrs, s.Value)
		t.names = append(t.names, s.Name)
	}
	return t
}

// lookup returns the function containing addr, or "?" outside the table,
// and whether addr is the function's first instruction.
func (t *symtab) lookup(addr uint64) (string, bool) {
	i := sort.Search(len(t.addrs), func(i int) bool { return t.addrs[i] > addr }) - 1
	if i < 0 || t.end != 0 && addr >= t.end {
		return "?", false
	}
	return t.names[i], t.addrs[i] == addr
}

// has reports whether name is one of the table's functions.
func (t *symtab) has(name string) bool { return slices.Contains(t.names, name) }

// location is what a resolver says about an address: the function, its
// group (a Go package, "(asm)", or "linux:<subsystem>"), whether the
// code belongs to the kernel side (see sideOf) and whether the address
// is the function's first instruction.
type location struct {
	Name, Group string
	Kernel      bool
	Entry       bool
}

// resolver symbolises a guest's code addresses.
type resolver interface{ resolve(addr uint64) location }

// funcCount is one function's total in one profile.
type funcCount struct {
	Group   string
	Kernel  bool
	Entries uint64 // executions of its first TB
	Insns   uint64
}

// funcProfile is a profile by function name.
type funcProfile map[string]*funcCount

// symbolise sums a TB profile by function.
func symbolise(p tbProfile, r resolver) funcProfile {
	fp := funcProfile{}
	for addr, c := range p {
		l := r.resolve(addr)
		f := fp[l.Name]
		if f == nil {
			f = &funcCount{Group: l.Group, Kernel: l.Kernel}
			fp[l.Name] = f
		}
		f.Insns += c.Insns
		if l.Entry {
			f.Entries += c.Execs
		}
	}
	return fp
}

// insns is the profile's total.
func (fp funcProfile) insns() uint64 {
	var n uint64
	for _, f := range fp {
		n += f.Insns
	}
	return n
}

// funcCost is one function's share of a profile difference.
type funcCost struct {
	Name   string
	Group  string  // package or subsystem
	Kernel bool    // on the kernel side
	Insns  float64 // per unit of work (request)
	Calls  float64 // entries (runs of its first TB) per unit
	Share  float64 // of the whole difference
	Cumul  float64 // running share, in order
}

// diffProfiles returns the per-function instructions of b minus a, divided
// by units, largest first, with the functions of the symbol table t.
func diffProfiles(a, b tbProfile, t *symtab, units int) []funcCost {
	r := goResolver{syms: t}
	return diffFuncProfiles(symbolise(a, r), symbolise(b, r), units)
}

// diffFuncProfiles returns the per-function instructions of b minus a,
// divided by units, largest first. Profiles are compared by function, not
// address, so a and b may come from boots that placed code differently
// (Linux's KASLR).
func diffFuncProfiles(a, b funcProfile, units int) []funcCost {
	per := map[string]*funcCost{}
	var total float64
	add := func(fp funcProfile, sign float64) {
		for name, f := range fp {
			c := per[name]
			if c == nil {
				c = &funcCost{Name: name, Group: f.Group, Kernel: f.Kernel}
				per[name] = c
			}
			c.Insns += sign * float64(f.Insns)
			c.Calls += sign * float64(f.Entries)
			total += sign * float64(f.Insns)
		}
	}
	add(b, 1)
	add(a, -1)
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

// byPackage sums function costs by group: the package (the import path
// before the function name; assembly symbols without one are "(asm)") or
// a Linux kernel subsystem.
func byPackage(costs []funcCost) []funcCost {
	per := map[string]*funcCost{}
	for _, c := range costs {
		p := per[c.Group]
		if p == nil {
			p = &funcCost{Name: c.Group, Group: c.Group, Kernel: c.Kernel}
			per[c.Group] = p
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
	// The package path ends before type arguments, which hold paths too:
	// slices.pdqsortCmpFunc[go.shape.struct { net/http.key string }].
	head := name
	if i := strings.IndexByte(name, '['); i >= 0 {
		head = name[:i]
	}
	slash := strings.LastIndexByte(head, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "(asm)"
	}
	return name[:slash+1+dot]
}

// profileMarkdown renders the top n functions as a table.
func profileMarkdown(costs []funcCost, n int) string {
	var b strings.Builder
	b.WriteString("| package or group | instructions per request | share | cumulative |\n|---|---:|---:|---:|\n")
	for i, c := range byPackage(costs) {
		if i == n {
			break
		}
		if math.Round(c.Insns) == 0 {
			continue
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
