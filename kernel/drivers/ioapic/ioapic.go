// Package ioapic programs the I/O APIC (Intel 82093AA data sheet): it routes
// a global system interrupt (GSI) to a CPU vector.
package ioapic

import "unigo.dev/unigo/kernel/mm"

// Base is the I/O APIC's default physical address.
const Base = 0xFEC00000

const (
	regSel = 0x00
	regWin = 0x10

	regVersion  = 0x01
	regRedirTbl = 0x10

	// Redirection entry bits.
	Level      = 1 << 15 // level-triggered (else edge)
	ActiveLow  = 1 << 13 // active low (else high)
	masked     = 1 << 16
	deliverFix = 0 << 8
)

// IOAPIC is one I/O APIC mapped at va.
type IOAPIC struct{ va uintptr }

// New returns the I/O APIC whose registers are mapped at va.
func New(va uintptr) IOAPIC { return IOAPIC{va: va} }

func (a IOAPIC) ptr(off uintptr) *uint32 { return (*uint32)(mm.Ptr(a.va + off)) }

func (a IOAPIC) read(reg uint32) uint32 {
	*a.ptr(regSel) = reg
	return *a.ptr(regWin)
}

func (a IOAPIC) write(reg, v uint32) {
	*a.ptr(regSel) = reg
	*a.ptr(regWin) = v
}

// Pins returns the number of redirection entries.
func (a IOAPIC) Pins() int { return int(a.read(regVersion)>>16&0xFF) + 1 }

// Route delivers pin to vector on the CPU with local APIC ID dest, with the
// given trigger/polarity flags (Level, ActiveLow), unmasked.
func (a IOAPIC) Route(pin int, vector uint8, dest uint8, flags uint32) {
	a.write(regRedirTbl+2*uint32(pin)+1, uint32(dest)<<24)
	a.write(regRedirTbl+2*uint32(pin), uint32(vector)|deliverFix|flags)
}

// Mask disables pin.
func (a IOAPIC) Mask(pin int) {
	a.write(regRedirTbl+2*uint32(pin), masked)
}
