package bootinfo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

func ram(s, e uintptr) Range      { return Range{s, e, RAM} }
func reserved(s, e uintptr) Range { return Range{s, e, Reserved} }
func acpi(s, e uintptr) Range     { return Range{s, e, ACPI} }

func mem(i *Info) []Range { return slices.Clone(i.Mem[:i.NMem]) }

func usable(i *Info) []Range {
	var rs []Range
	i.UsableRAM(func(s, e uintptr) { rs = append(rs, ram(s, e)) })
	return rs
}

func fmtRanges(rs []Range) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("\n\t[%#x, %#x) %v", r.Start, r.End, r.Kind)
	}
	return s
}

func checkRanges(t *testing.T, what string, got, want []Range) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %s\nwant %s", what, fmtRanges(got), fmtRanges(want))
	}
}

// checkInvariants verifies what Info promises about Mem.
func checkInvariants(t *testing.T, i *Info) {
	t.Helper()
	for k := 0; k < i.NMem; k++ {
		r := i.Mem[k]
		if r.Start >= r.End {
			t.Errorf("Mem[%d] = [%#x, %#x) is empty", k, r.Start, r.End)
		}
		if k > 0 {
			p := i.Mem[k-1]
			if p.End > r.Start {
				t.Errorf("Mem[%d] and Mem[%d] overlap or are unsorted:%s", k-1, k, fmtRanges([]Range{p, r}))
			}
			if p.End == r.Start && p.Kind == r.Kind {
				t.Errorf("Mem[%d] and Mem[%d] are not merged:%s", k-1, k, fmtRanges([]Range{p, r}))
			}
		}
	}
	for k := i.NMem; k < len(i.Mem); k++ {
		if i.Mem[k] != (Range{}) {
			t.Errorf("Mem[%d] beyond NMem = %v; want zero", k, i.Mem[k])
		}
	}
}

// firecrackerPVH is a Firecracker-like PVH boot: low RAM up to the EBDA, the
// legacy hole reported reserved twice (overlapping), RAM from 1 MiB to the
// 32-bit MMIO gap at 3 GiB, RAM again from 4 GiB; entries out of order, and
// an ACPI range reported inside RAM.
func firecrackerPVH() pvhImage {
	return pvhImage{
		magic:   0x336ec578,
		version: 1,
		mem: []memEntry{
			{mib, 3*gib - mib, 1},
			{0, 0x9fc00, 1},
			{0x9fc00, 0x100000 - 0x9fc00, 2},
			{0xf0000, 0x10000, 2},
			{4 * gib, gib, 1},
			{3*gib - 64*kib, 64 * kib, 3},
		},
		mods: []Module{
			{Start: 16 * mib, End: 16*mib + 0x2345, Cmdline: 0x9000},
		},
		cmdline: 0x8000,
		rsdp:    0xe0000,
	}
}

func TestParsePVH(t *testing.T) {
	a := newArena(0x6000, 0x10000)
	a.putPVH(firecrackerPVH())
	a.putString(0x8000, "console=ttyS0 reboot=k panic=1")
	a.putString(0x9000, "initrd")

	var info Info
	if err := ParsePVH(a.phys(), pvhStart, &info); err != nil {
		t.Fatalf("ParsePVH: %v", err)
	}
	checkInvariants(t, &info)
	if info.Proto != PVH {
		t.Errorf("Proto = %v; want pvh", info.Proto)
	}
	checkRanges(t, "Mem", mem(&info), []Range{
		ram(0, 0x9fc00),
		reserved(0x9fc00, 0x100000),
		ram(0x100000, 3*gib-64*kib),
		acpi(3*gib-64*kib, 3*gib),
		ram(4*gib, 5*gib),
	})
	checkRanges(t, "UsableRAM", usable(&info), []Range{
		ram(0, 0x9f000),
		ram(0x100000, 3*gib-64*kib),
		ram(4*gib, 5*gib),
	})
	if info.NMods != 1 || info.Mods[0] != (Module{16 * mib, 16*mib + 0x2345, 0x9000}) {
		t.Errorf("Mods = %+v (NMods %d); want one module [16 MiB, +0x2345) with cmdline 0x9000", info.Mods[:info.NMods], info.NMods)
	}
	if n, ok := CString(a.phys(), info.Mods[0].Cmdline, 100); !ok || n != 6 {
		t.Errorf("CString(module cmdline) = %d, %v; want 6, true", n, ok)
	}
	if info.Cmdline != 0x8000 || info.CmdlineLen != 30 {
		t.Errorf("Cmdline, CmdlineLen = %#x, %d; want 0x8000, 30", info.Cmdline, info.CmdlineLen)
	}
	if info.RSDP != 0xe0000 {
		t.Errorf("RSDP = %#x; want 0xe0000", info.RSDP)
	}
	if got, want := info.RAMBytes(), uintptr(0x9f000+(3*gib-64*kib-mib)+gib); got != want {
		t.Errorf("RAMBytes() = %#x; want %#x", got, want)
	}
	runtime.KeepAlive(a)
}

// qemuE820 is the e820 map QEMU's pc machine reports for 6 GiB with 2 GiB
// below 4 GiB (SeaBIOS areas and the BIOS flash reserved).
var qemuE820 = []memEntry{
	{0, 0x9fc00, 1},
	{0x9fc00, 0x400, 2},
	{0xf0000, 0x10000, 2},
	{0x100000, 0x7ffe0000 - 0x100000, 1},
	{0x7ffe0000, 0x20000, 2},
	{0xfeffc000, 0x4000, 2},
	{0xfffc0000, 0x40000, 2},
	{0x100000000, 4 * gib, 1},
}

func TestParseLinuxBoot(t *testing.T) {
	a := newArena(0x7000, 0x3000)
	a.putLinux(linuxImage{
		mem:     qemuE820,
		cmdline: 0x9000,
		ramdisk: 0x7f000000,
		size:    0x123456,
		rsdp:    0xf5a40,
	})
	a.putString(0x9000, "console=ttyS0")

	var info Info
	if err := ParseLinuxBoot(a.phys(), zeroPage, &info); err != nil {
		t.Fatalf("ParseLinuxBoot: %v", err)
	}
	checkInvariants(t, &info)
	if info.Proto != LinuxBoot {
		t.Errorf("Proto = %v; want linux", info.Proto)
	}
	checkRanges(t, "Mem", mem(&info), []Range{
		ram(0, 0x9fc00),
		reserved(0x9fc00, 0xa0000),
		reserved(0xf0000, 0x100000),
		ram(0x100000, 0x7ffe0000),
		reserved(0x7ffe0000, 0x80000000),
		reserved(0xfeffc000, 0xff000000),
		reserved(0xfffc0000, 0x100000000),
		ram(0x100000000, 0x200000000),
	})
	if info.NMods != 1 || info.Mods[0] != (Module{0x7f000000, 0x7f123456, 0}) {
		t.Errorf("Mods = %+v (NMods %d); want the initrd [0x7f000000, 0x7f123456)", info.Mods[:info.NMods], info.NMods)
	}
	if info.Cmdline != 0x9000 || info.CmdlineLen != 13 {
		t.Errorf("Cmdline, CmdlineLen = %#x, %d; want 0x9000, 13", info.Cmdline, info.CmdlineLen)
	}
	if info.RSDP != 0xf5a40 {
		t.Errorf("RSDP = %#x; want 0xf5a40", info.RSDP)
	}
	runtime.KeepAlive(a)
}

func TestParseLinuxBootExt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sentinel uint8
		ramdisk  uintptr
		size     uintptr
		cmdline  uintptr
	}{
		{"zeroed", 0, 0x1_2000_0000, 0x1_0000_0010, 0x9000},
		// A loader that did not zero boot_params leaves the sentinel set;
		// the ext_* fields are then garbage and ignored.
		{"sentinel", 0xff, 0x2000_0000, 0x10, 0x9000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(0x7000, 0x3000)
			a.putLinux(linuxImage{
				mem:      qemuE820,
				cmdline:  0x9000,
				ramdisk:  0x1_2000_0000,
				size:     0x1_0000_0010,
				sentinel: tc.sentinel,
			})
			// ext_cmd_line_ptr stays 0 in both cases; a non-zero one
			// is ignored with the sentinel set.
			if tc.sentinel != 0 {
				a.put32(zeroPage+0xc8, 1)
			}
			a.putString(0x9000, "x")
			var info Info
			if err := ParseLinuxBoot(a.phys(), zeroPage, &info); err != nil {
				t.Fatalf("ParseLinuxBoot: %v", err)
			}
			want := Module{tc.ramdisk, tc.ramdisk + tc.size, 0}
			if info.NMods != 1 || info.Mods[0] != want {
				t.Errorf("Mods[0] = %+v; want %+v", info.Mods[0], want)
			}
			if info.Cmdline != tc.cmdline {
				t.Errorf("Cmdline = %#x; want %#x", info.Cmdline, tc.cmdline)
			}
			runtime.KeepAlive(a)
		})
	}
}

func TestReserve(t *testing.T) {
	a := newArena(0x6000, 0x10000)
	a.putPVH(firecrackerPVH())
	var info Info
	if err := ParsePVH(a.phys(), pvhStart, &info); err != nil {
		t.Fatalf("ParsePVH: %v", err)
	}
	for _, r := range [][2]uintptr{
		{0x400000, 0x5a3f12},           // kernel image, unaligned end
		{16 * mib, 16*mib + 0x2345},    // the module
		{0x8000, 0x9000},               // cmdline page
		{0x9f000, 0x101000},            // straddles RAM | reserved | RAM
		{3*gib + mib, 3*gib + 2*mib},   // inside the hole: nothing to do
		{3*gib - 128*kib, 3*gib + mib}, // RAM end, ACPI and hole
		{5 * gib, 6 * gib},             // past the end of memory
		{7, 7},                         // empty
	} {
		if err := info.Reserve(r[0], r[1]); err != nil {
			t.Fatalf("Reserve(%#x, %#x): %v", r[0], r[1], err)
		}
		checkInvariants(t, &info)
	}
	checkRanges(t, "Mem", mem(&info), []Range{
		ram(0, 0x8000),
		reserved(0x8000, 0x9000),
		ram(0x9000, 0x9f000),
		reserved(0x9f000, 0x101000),
		ram(0x101000, 0x400000),
		reserved(0x400000, 0x5a3f12),
		ram(0x5a3f12, 16*mib),
		reserved(16*mib, 16*mib+0x2345),
		ram(16*mib+0x2345, 3*gib-128*kib),
		reserved(3*gib-128*kib, 3*gib-64*kib),
		acpi(3*gib-64*kib, 3*gib),
		ram(4*gib, 5*gib),
	})
	checkRanges(t, "UsableRAM", usable(&info), []Range{
		ram(0, 0x8000),
		ram(0x9000, 0x9f000),
		ram(0x101000, 0x400000),
		ram(0x5a4000, 16*mib),
		ram(16*mib+0x3000, 3*gib-128*kib),
		ram(4*gib, 5*gib),
	})
	runtime.KeepAlive(a)
}

// TestNormaliseModel checks AddRange and Reserve against a per-unit model on
// random small maps.
func TestNormaliseModel(t *testing.T) {
	const units = 48
	kinds := []Kind{RAM, Reserved, ACPI, NVS, Unusable}
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		var model [units]Kind // 0: hole
		var info Info
		n := 1 + rng.IntN(12)
		for k := 0; k < n; k++ {
			s := uintptr(rng.IntN(units))
			e := s + uintptr(rng.IntN(units-int(s)+1))
			if rng.IntN(4) == 0 {
				// Reserve: RAM units only.
				for u := s; u < e; u++ {
					if model[u] == RAM {
						model[u] = Reserved
					}
				}
				if err := info.Reserve(s, e); err != nil {
					t.Fatal(err)
				}
				continue
			}
			kind := kinds[rng.IntN(len(kinds))]
			for u := s; u < e; u++ {
				if model[u] == 0 || kind.rank() > model[u].rank() {
					model[u] = kind
				}
			}
			if err := info.AddRange(s, e, kind); err != nil {
				t.Fatal(err)
			}
		}
		var want []Range
		for u := uintptr(0); u < units; u++ {
			if model[u] == 0 {
				continue
			}
			if l := len(want); l > 0 && want[l-1].End == u && want[l-1].Kind == model[u] {
				want[l-1].End++
				continue
			}
			want = append(want, Range{u, u + 1, model[u]})
		}
		checkInvariants(t, &info)
		if got := mem(&info); !slices.Equal(got, want) {
			t.Fatalf("iteration %d: Mem = %s\nwant %s", iter, fmtRanges(got), fmtRanges(want))
		}
	}
}

func TestErrors(t *testing.T) {
	longCmdline := func(a *arena) {
		for k := range a.buf[0x8000-0x6000:] {
			a.buf[0x8000-0x6000+k] = 'a'
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(p *pvhImage)
		arena func(a *arena)
		at    uintptr
		want  error
	}{
		{name: "magic", edit: func(p *pvhImage) { p.magic = 0x12345678 }, want: ErrBadMagic},
		{name: "version 0", edit: func(p *pvhImage) { p.version = 0 }, want: ErrNoMemoryMap},
		{name: "no memmap", edit: func(p *pvhImage) { p.mem = nil }, want: ErrNoMemoryMap},
		{name: "outside window", at: 0x100000, want: ErrBadAddress},
		{name: "straddles window", at: 0x6000 + 0x20000 - 0x20, want: ErrBadAddress},
		{name: "too many modules", edit: func(p *pvhImage) { p.mods = make([]Module, MaxModules+1) }, want: ErrTooManyModules},
		{name: "cmdline outside", edit: func(p *pvhImage) { p.cmdline = 0x1000 }, want: ErrBadAddress},
		{name: "cmdline runs off the window", arena: longCmdline, edit: func(p *pvhImage) { p.cmdline = 0x25000 }, want: ErrBadAddress},
		{name: "cmdline too long", arena: longCmdline, edit: func(p *pvhImage) { p.cmdline = 0x8000 }, want: ErrCmdline},
		{name: "too many ranges", edit: func(p *pvhImage) {
			p.mem = nil
			for k := 0; k < MaxRanges+1; k++ {
				p.mem = append(p.mem, memEntry{uint64(k) * 2 * mib, mib, 1})
			}
		}, want: ErrTooManyRanges},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(0x6000, 0x20000)
			p := firecrackerPVH()
			p.mods = nil
			if tc.edit != nil {
				tc.edit(&p)
			}
			if tc.arena != nil {
				tc.arena(a)
			}
			a.putPVH(p)
			at := uintptr(pvhStart)
			if tc.at != 0 {
				at = tc.at
			}
			var info Info
			err := ParsePVH(a.phys(), at, &info)
			if !errors.Is(err, tc.want) {
				t.Errorf("ParsePVH = %v; want %v", err, tc.want)
			}
			runtime.KeepAlive(a)
		})
	}

	a := newArena(0x7000, 0x3000)
	a.putLinux(linuxImage{noMagic: true, mem: qemuE820})
	var info Info
	if err := ParseLinuxBoot(a.phys(), zeroPage, &info); err != ErrBadMagic {
		t.Errorf("ParseLinuxBoot without HdrS = %v; want %v", err, ErrBadMagic)
	}
	a = newArena(0x7000, 0x3000)
	a.putLinux(linuxImage{})
	if err := ParseLinuxBoot(a.phys(), zeroPage, &info); err != ErrNoMemoryMap {
		t.Errorf("ParseLinuxBoot with no e820 = %v; want %v", err, ErrNoMemoryMap)
	}
	if err := ParseLinuxBoot(a.phys(), zeroPage+0x2001, &info); err != ErrBadAddress {
		t.Errorf("ParseLinuxBoot past the window = %v; want %v", err, ErrBadAddress)
	}
	runtime.KeepAlive(a)
}

func TestCString(t *testing.T) {
	a := newArena(0x1000, 0x100)
	a.putString(0x1010, "hello")
	copy(a.buf[0xf0:], "0123456789abcdef") // runs to the end of the window, no NUL
	m := a.phys()
	for _, tc := range []struct {
		pa, max uintptr
		n       uintptr
		ok      bool
	}{
		{0x1010, 100, 5, true},
		{0x1010, 6, 5, true},
		{0x1010, 5, 5, false},
		{0x1015, 10, 0, true},
		{0x10f0, 100, 16, false},
		{0x2000, 100, 0, false},
		{^uintptr(0), 100, 0, false},
	} {
		n, ok := CString(m, tc.pa, tc.max)
		if n != tc.n || ok != tc.ok {
			t.Errorf("CString(%#x, %d) = %d, %v; want %d, %v", tc.pa, tc.max, n, ok, tc.n, tc.ok)
		}
	}
	runtime.KeepAlive(a)
}

func TestNoAllocs(t *testing.T) {
	pvh := newArena(0x6000, 0x10000)
	pvh.putPVH(firecrackerPVH())
	pvh.putString(0x8000, "console=ttyS0")
	lin := newArena(0x7000, 0x3000)
	lin.putLinux(linuxImage{mem: qemuE820, cmdline: 0x9000})
	lin.putString(0x9000, "console=ttyS0")
	bad := newArena(0x6000, 0x1000)
	info := new(Info)
	var sink uintptr
	var err error
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"ParsePVH", func() { err = ParsePVH(pvh.phys(), pvhStart, info) }},
		{"ParseLinuxBoot", func() { err = ParseLinuxBoot(lin.phys(), zeroPage, info) }},
		{"ParsePVH error", func() { err = ParsePVH(bad.phys(), pvhStart, info) }},
		{"Reserve", func() { err = info.Reserve(0x400000, 0x500000) }},
		{"UsableRAM", func() { info.UsableRAM(func(s, e uintptr) { sink += e - s }) }},
		{"RAMBytes", func() { sink = info.RAMBytes() }},
		{"CString", func() { sink, _ = CString(pvh.phys(), 0x8000, 100) }},
		{"Error", func() { _ = ErrBadMagic.Error() }},
	} {
		if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
			t.Errorf("%s allocates %v times per run; want 0", tc.name, n)
		}
	}
	_, _ = sink, err
	runtime.KeepAlive(pvh)
	runtime.KeepAlive(lin)
	runtime.KeepAlive(bad)
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{PVH.String(), "pvh"},
		{LinuxBoot.String(), "linux"},
		{Proto(9).String(), "unknown"},
		{RAM.String(), "ram"},
		{Unusable.String(), "unusable"},
		{Kind(0).String(), "?"},
		{ErrTooManyRanges.Error(), "bootinfo: too many memory ranges"},
		{Error(99).Error(), "bootinfo: unknown error"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
	for typ, want := range map[uint32]Kind{1: RAM, 2: Reserved, 3: ACPI, 4: NVS, 5: Unusable, 6: Unusable, 7: Reserved, 12: Reserved, 0xefffffff: Reserved} {
		if got := kindOf(typ); got != want {
			t.Errorf("kindOf(%d) = %v; want %v", typ, got, want)
		}
	}
}
