package core

import (
	"unsafe"

	"unigo.dev/unigo/kernel/arch/amd64"
	"unigo.dev/unigo/kernel/drivers/acpi"
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/klog"
)

// The power button: the VMM's shutdown request (QEMU's system_powerdown,
// which `unigo run` sends on SIGTERM) reaches the kernel as an ACPI event,
// through the PM1 event block and the SCI on pc/q35, or through the generic
// event device (GED) on the hardware-reduced microvm. The kernel answers
// with SIGTERM to the program; a second press powers off at once.

const (
	vectorIRQBase = 48 // GSI n arrives on vector 48+n

	pm1PowerButton = 1 << 8 // PWRBTN_STS / PWRBTN_EN
	gedIRQ         = 9      // QEMU microvm: GED on GSI 9, edge, active high
	gedPowerDown   = 1 << 1 // ACPI_GED_PWR_DOWN_EVT in the event selector
)

var power struct {
	mode    uint8 // 0: none, powerPM1, powerGED
	pm1     uint16
	irq     int
	pressed bool
}

const (
	powerPM1 = 1
	powerGED = 2
)

func physMem(pa uintptr) unsafe.Pointer { return kptr(directMapBase + pa) }

// initPower wires the power button. Runs at boot, after memory.
func initPower() {
	rsdp := boot.RSDP
	if rsdp == 0 {
		rsdp = acpi.FindRSDP(physMem)
	}
	f := acpi.ParseFADT(physMem, rsdp)
	apic := ioapic.New(directMapBase + ioapicPhys)
	id := uint8(lapicRead(lapicID) >> 24)

	// The console's receive interrupt: ISA IRQ 4, edge, active high.
	if console.EnableRxInterrupt() {
		apic.Route(consoleIRQ, uint8(vectorIRQBase+consoleIRQ), id, 0)
		consIRQ = true
	}
	initVirtio(apic, id)
	initNetDevice(apic, id)
	switch {
	case f.Found && !f.HWReduced && f.PM1aEvt != 0:
		power.mode, power.pm1, power.irq = powerPM1, uint16(f.PM1aEvt), int(f.SCI)
		if f.SMICmd != 0 && f.ACPIEnable != 0 {
			amd64.Outb(uint16(f.SMICmd), f.ACPIEnable) // leave legacy mode
		}
		enable := power.pm1 + uint16(f.PM1EvtLen)/2
		amd64.Outw(power.pm1, pm1PowerButton) // clear a stale press
		amd64.Outw(enable, amd64.Inw(enable)|pm1PowerButton)
		apic.Route(power.irq, uint8(vectorIRQBase+power.irq), id, ioapic.Level)
	case f.Found && f.HWReduced:
		power.mode, power.irq = powerGED, gedIRQ
		apic.Route(power.irq, uint8(vectorIRQBase+power.irq), id, 0)
	default:
		klog.Info("power").S("no ACPI power button (no FADT)").End()
		return
	}
	klog.Info("power").S("power button on GSI ").I(int64(power.irq)).S(" (").
		S([...]string{"", "PM1", "GED"}[power.mode]).S(")").End()
}

// deviceInterrupt handles an I/O APIC interrupt.
func deviceInterrupt(gsi int) {
	if gsi == consoleIRQ && consIRQ {
		consoleInterrupt()
		lapicEOIWrite()
		return
	}
	if blkInterruptGSI(gsi) {
		lapicEOIWrite()
		return
	}
	if virtioIRQ(gsi) {
		lapicEOIWrite()
		return
	}
	if netDeviceInterrupt(gsi) {
		lapicEOIWrite()
		return
	}
	if power.mode == 0 || gsi != power.irq {
		lapicEOIWrite()
		return
	}
	pressed := false
	switch power.mode {
	case powerPM1:
		if sts := amd64.Inw(power.pm1); sts&pm1PowerButton != 0 {
			amd64.Outw(power.pm1, pm1PowerButton) // write 1 to clear
			pressed = true
		}
	case powerGED:
		sel := *(*uint32)(kptr(directMapBase + gedPhys)) // reading clears it
		pressed = sel&gedPowerDown != 0
	}
	lapicEOIWrite() // after clearing the (level-triggered) source
	if pressed {
		powerButton()
	}
}

// powerButton asks the program to stop: SIGTERM, as init would receive on
// a Linux machine shutting down. A second press powers off.
func powerButton() {
	if power.pressed {
		klog.Warn("power").S("power button pressed again: powering off").End()
		exitProgram(128 + sigTERM)
	}
	power.pressed = true
	klog.Info("power").S("power button: sending SIGTERM to the program").End()
	killProcess(sigTERM)
}
