package bootinfo

// Capacities of [Info].
const (
	MaxRanges  = 128 // memory-map ranges after normalisation
	MaxModules = 8   // boot modules (an initrd is one)

	// MaxCmdline bounds the search for a command line's NUL. Linux accepts
	// 2 KiB on x86 (COMMAND_LINE_SIZE); Firecracker and QEMU pass less.
	MaxCmdline = 64 << 10

	// PageSize is the granule [Info.UsableRAM] aligns RAM to.
	PageSize = 4096
)

// Proto is the boot protocol the kernel was entered through.
type Proto uint8

// Boot protocols.
const (
	ProtoUnknown Proto = iota
	PVH                // Xen PVH start_info (QEMU, Firecracker >= 1.12, cloud-hypervisor)
	LinuxBoot          // 64-bit Linux boot protocol, boot_params
)

var protoNames = [...]string{ProtoUnknown: "unknown", PVH: "pvh", LinuxBoot: "linux"}

// String returns "pvh", "linux" or "unknown".
func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return "unknown"
}

// Kind is the type of a memory range. The values are those of the e820 and
// PVH memory maps (which share them with the ACPI address range types).
type Kind uint8

// Memory range kinds.
const (
	RAM      Kind = 1 // usable memory
	Reserved Kind = 2 // not usable: firmware, MMIO, the kernel's own image once Reserve'd
	ACPI     Kind = 3 // ACPI tables; reclaimable once they have been read
	NVS      Kind = 4 // ACPI non-volatile storage; must be preserved
	Unusable Kind = 5 // memory with errors, or disabled
)

var kindNames = [...]string{RAM: "ram", Reserved: "reserved", ACPI: "acpi", NVS: "nvs", Unusable: "unusable"}

// String returns the name of k ("ram", "reserved", ...), or "?" for a value
// that is not a Kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "?"
}

// rank orders the kinds for overlaps: where two reported ranges overlap, the
// higher rank wins, so memory is usable only if no one says otherwise.
// (Linux's e820 sanitiser lets the larger type number win, which would put
// ACPI above Reserved; we never reclaim either, so the order among the
// non-RAM kinds matters only for what a memory-map dump shows.)
func (k Kind) rank() int {
	switch k {
	case RAM:
		return 0
	case ACPI:
		return 1
	case NVS:
		return 2
	case Reserved:
		return 3
	default: // Unusable
		return 4
	}
}

// kindOf maps an e820 / PVH memmap type to a Kind. Types Linux knows but we
// do not use (persistent memory 7 and 12, soft-reserved) and unknown types
// count as Reserved, as Linux treats them; PVH's "disabled" (6) as Unusable.
func kindOf(typ uint32) Kind {
	switch typ {
	case 1:
		return RAM
	case 3:
		return ACPI
	case 4:
		return NVS
	case 5, 6:
		return Unusable
	default:
		return Reserved
	}
}

// Range is a half-open interval [Start, End) of physical memory.
type Range struct {
	Start, End uintptr
	Kind       Kind
}

// Module is a boot module (for example the initrd): its bytes at
// [Start, End), and its own command line.
type Module struct {
	Start, End uintptr
	Cmdline    uintptr // physical address of a NUL-terminated string, or 0
}

// Info is what the VMM told the kernel, normalised.
//
// Mem[:NMem] is sorted by Start, its ranges do not overlap, and neighbours of
// the same kind are merged. Where the VMM reported overlapping ranges the
// more restrictive kind wins (RAM < ACPI < NVS < Reserved < Unusable): RAM
// that overlaps a reserved or ACPI range is trimmed. Gaps are holes (MMIO,
// nothing there).
//
// Info holds no pointers, so it may live in any memory and be copied freely.
type Info struct {
	Proto Proto

	Mem  [MaxRanges]Range
	NMem int

	Mods  [MaxModules]Module
	NMods int

	// Cmdline is the physical address of the kernel command line, a
	// NUL-terminated string of CmdlineLen bytes (without the NUL); 0 when
	// the VMM passed none.
	Cmdline    uintptr
	CmdlineLen uintptr

	// RSDP is the physical address of the ACPI RSDP, or 0 when the VMM did
	// not say (then it must be searched for in the EBDA and 0xE0000-0xFFFFF,
	// as under Firecracker's Linux boot).
	RSDP uintptr
}

// Error is an error found while parsing boot information. The values are
// constants so that they exist before the Go runtime has initialised any
// variable.
type Error uint8

// Errors returned by the parse functions and [Info.Reserve].
const (
	ErrBadMagic       Error = iota + 1 // start_info magic or boot_params "HdrS" signature missing
	ErrNoMemoryMap                     // the VMM passed no memory map
	ErrBadAddress                      // a structure lies (partly) outside the readable window
	ErrTooManyRanges                   // the memory map needs more than MaxRanges ranges
	ErrTooManyModules                  // more than MaxModules boot modules
	ErrCmdline                         // the command line has no NUL within MaxCmdline bytes
)

var errorText = [...]string{
	ErrBadMagic:       "bootinfo: bad magic number",
	ErrNoMemoryMap:    "bootinfo: no memory map",
	ErrBadAddress:     "bootinfo: boot structure outside readable memory",
	ErrTooManyRanges:  "bootinfo: too many memory ranges",
	ErrTooManyModules: "bootinfo: too many boot modules",
	ErrCmdline:        "bootinfo: command line not terminated",
}

func (e Error) Error() string {
	if int(e) < len(errorText) && errorText[e] != "" {
		return errorText[e]
	}
	return "bootinfo: unknown error"
}

// UsableRAM calls fn for each RAM range, shrunk inward to whole pages;
// ranges with no whole page are skipped. The ranges come in ascending order.
// fn must not change i.
func (i *Info) UsableRAM(fn func(start, end uintptr)) {
	for k := 0; k < i.NMem; k++ {
		r := &i.Mem[k]
		if r.Kind != RAM {
			continue
		}
		s := (r.Start + PageSize - 1) &^ (PageSize - 1)
		if s < r.Start { // rounding wrapped
			continue
		}
		e := r.End &^ (PageSize - 1)
		if s < e {
			fn(s, e)
		}
	}
}

// RAMBytes returns the total size of the page-aligned usable RAM.
func (i *Info) RAMBytes() uintptr {
	var n uintptr
	i.UsableRAM(func(s, e uintptr) { n += e - s })
	return n
}

// Reserve marks the RAM in [start, end) as Reserved: the kernel image, boot
// modules, the command line, page tables built before the frame allocator —
// anything that must not be handed out as free memory. Parts of the interval
// that are not RAM are left as they are (holes stay holes). start and end
// need not be page-aligned; [Info.UsableRAM] rounds what is left inward.
//
// It fails with ErrTooManyRanges only when the split does not fit in Mem;
// the map may then be partly updated.
func (i *Info) Reserve(start, end uintptr) error {
	return i.paint(start, end, Reserved, false)
}

// AddRange records [start, end) as kind, with the same overlap rules the
// parse functions apply to what the VMM reports: a range outranks the kinds
// below it and fills holes. It is how the parsers build Mem, and how a
// platform can add what its VMM leaves out.
func (i *Info) AddRange(start, end uintptr, kind Kind) error {
	return i.paint(start, end, kind, true)
}

// paint gives kind k to parts of [start, end). With fill set (adding what
// the VMM reported) k goes wherever it outranks the kind recorded there and
// into holes; without (reserving) it replaces RAM only. Mem stays sorted,
// non-overlapping and merged.
func (i *Info) paint(start, end uintptr, k Kind, fill bool) error {
	if start >= end {
		return nil
	}
	cur := start
	j := 0
	for j < i.NMem && i.Mem[j].End <= cur {
		j++
	}
	for cur < end {
		if j == i.NMem || i.Mem[j].Start >= end {
			// [cur, end) is a hole.
			if fill {
				if err := i.insert(j, Range{cur, end, k}); err != nil {
					return err
				}
			}
			break
		}
		r := i.Mem[j]
		if r.Start > cur {
			// [cur, r.Start) is a hole.
			if fill {
				if err := i.insert(j, Range{cur, r.Start, k}); err != nil {
					return err
				}
				j++
			}
			cur = r.Start
			continue
		}
		// r.Start <= cur < r.End.
		stop := r.End
		if end < stop {
			stop = end
		}
		override := r.Kind == RAM // reserving
		if fill {
			override = k.rank() > r.Kind.rank()
		}
		if override {
			// Split r into [r.Start, cur) r.Kind, [cur, stop) k,
			// [stop, r.End) r.Kind, dropping the empty pieces.
			if r.Start < cur {
				i.Mem[j].End = cur
				j++
				if err := i.insert(j, Range{cur, stop, k}); err != nil {
					return err
				}
			} else {
				i.Mem[j] = Range{cur, stop, k}
			}
			j++
			if stop < r.End {
				if err := i.insert(j, Range{stop, r.End, r.Kind}); err != nil {
					return err
				}
				j++
			}
		} else {
			j++
		}
		cur = stop
	}
	i.merge()
	return nil
}

// insert puts r at index j of Mem, shifting the rest up.
func (i *Info) insert(j int, r Range) error {
	if i.NMem == len(i.Mem) {
		return ErrTooManyRanges
	}
	copy(i.Mem[j+1:i.NMem+1], i.Mem[j:i.NMem])
	i.Mem[j] = r
	i.NMem++
	return nil
}

// merge joins touching neighbours of the same kind and drops empty ranges.
func (i *Info) merge() {
	n := 0
	for k := 0; k < i.NMem; k++ {
		r := i.Mem[k]
		if r.Start >= r.End {
			continue
		}
		if n > 0 && i.Mem[n-1].End == r.Start && i.Mem[n-1].Kind == r.Kind {
			i.Mem[n-1].End = r.End
			continue
		}
		i.Mem[n] = r
		n++
	}
	for k := n; k < i.NMem; k++ {
		i.Mem[k] = Range{}
	}
	i.NMem = n
}

// rangeEnd returns addr+size, saturating at the top of the address space.
func rangeEnd(addr, size uintptr) uintptr {
	end := addr + size
	if end < addr {
		return ^uintptr(0)
	}
	return end
}

// setCmdline records the command line at pa (0: none).
func (i *Info) setCmdline(mem Phys, pa uintptr) error {
	if pa == 0 {
		return nil
	}
	n, ok := CString(mem, pa, MaxCmdline)
	if !ok {
		if n < MaxCmdline {
			return ErrBadAddress
		}
		return ErrCmdline
	}
	i.Cmdline, i.CmdlineLen = pa, n
	return nil
}
