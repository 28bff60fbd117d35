// Package acpi reads the few ACPI tables the kernel needs (ACPI 6.4 §5.2):
// the RSDP, the RSDT/XSDT and the FADT's power-management registers, so
// that the power button can be wired up. It does not interpret AML.
package acpi

import "unsafe"

// Mem reads physical memory: the kernel passes its direct map.
type Mem func(pa uintptr) unsafe.Pointer

// FADT holds what the kernel uses of the Fixed ACPI Description Table.
type FADT struct {
	Found      bool
	SCI        uint16 // the SCI's interrupt (an ISA IRQ / GSI)
	PM1aEvt    uint32 // PM1a event block I/O port (status, then enable)
	PM1EvtLen  uint8
	HWReduced  bool // hardware-reduced ACPI: events come through a GED
	SMICmd     uint32
	ACPIEnable uint8
}

func u8(m Mem, pa uintptr) uint8   { return *(*uint8)(m(pa)) }
func u16(m Mem, pa uintptr) uint16 { return *(*uint16)(m(pa)) }
func u32(m Mem, pa uintptr) uint32 { return *(*uint32)(m(pa)) }
func u64(m Mem, pa uintptr) uint64 { return *(*uint64)(m(pa)) }

func sig(m Mem, pa uintptr, s string) bool {
	for i := 0; i < len(s); i++ {
		if u8(m, pa+uintptr(i)) != s[i] {
			return false
		}
	}
	return true
}

func checksum(m Mem, pa, n uintptr) bool {
	var sum uint8
	for i := uintptr(0); i < n; i++ {
		sum += u8(m, pa+i)
	}
	return sum == 0
}

// FindRSDP searches the BIOS areas (the EBDA's first KiB and
// 0xE0000-0xFFFFF) for the RSDP, for VMMs that do not pass its address.
func FindRSDP(m Mem) uintptr {
	ebda := uintptr(u16(m, 0x40E)) << 4
	for _, r := range [...][2]uintptr{{ebda, ebda + 1024}, {0xE0000, 0x100000}} {
		if r[0] == 0 {
			continue
		}
		for p := r[0]; p+20 <= r[1]; p += 16 {
			if sig(m, p, "RSD PTR ") && checksum(m, p, 20) {
				return p
			}
		}
	}
	return 0
}

// ParseFADT finds the FADT through the RSDP at rsdp.
func ParseFADT(m Mem, rsdp uintptr) FADT {
	var f FADT
	if rsdp == 0 || !sig(m, rsdp, "RSD PTR ") {
		return f
	}
	rev := u8(m, rsdp+15)
	var table uintptr
	entry := uintptr(4)
	if rev >= 2 && u64(m, rsdp+24) != 0 {
		table = uintptr(u64(m, rsdp+24)) // XSDT
		entry = 8
	} else {
		table = uintptr(u32(m, rsdp+16)) // RSDT
	}
	if table == 0 {
		return f
	}
	length := uintptr(u32(m, table+4))
	for p := table + 36; p+entry <= table+length; p += entry {
		var t uintptr
		if entry == 8 {
			t = uintptr(u64(m, p))
		} else {
			t = uintptr(u32(m, p))
		}
		if t == 0 || !sig(m, t, "FACP") {
			continue
		}
		flen := uintptr(u32(m, t+4))
		f.Found = true
		f.SCI = u16(m, t+46)
		f.SMICmd = u32(m, t+48)
		f.ACPIEnable = u8(m, t+52)
		f.PM1aEvt = u32(m, t+56)
		f.PM1EvtLen = u8(m, t+88)
		if flen > 116 {
			f.HWReduced = u32(m, t+112)&(1<<20) != 0
		}
		return f
	}
	return f
}
