package core

import (
	"unigo.dev/unigo/kernel/drivers/ioapic"
	"unigo.dev/unigo/kernel/drivers/virtio"
	"unigo.dev/unigo/kernel/drivers/virtio/mmio"
	"unigo.dev/unigo/kernel/drivers/virtio/pci"
)

// Virtio devices for optional drivers (components.go). The boot scan
// (initVirtio) keeps the block device for the core and offers the others
// to the driver registered for their device ID. The core owns their
// interrupts: an I/O APIC line per MMIO slot, one MSI-X vector per PCI
// device (vectorVirtioMSI+n, all of the device's queues), and calls the
// driver's Interrupt from the trap dispatch.

const (
	maxVirtioDevs   = 8
	vectorVirtioMSI = 81 // ..88: PCI devices of optional drivers

	// virtio-mmio slots (QEMU microvm), 512 bytes apart.
	virtioMMIOBase  = 0xFEB00000
	virtioMMIOSlots = 8
	virtioMMIOIRQ   = 16 // GSI of slot 0 (microvm with ACPI, one I/O APIC)

	// Disks (blockdev.go): disk k's MSI-X vector on PCI is vectorBlkMSI+k
	// (72..79; 48..71 are I/O APIC lines).
	maxDisks     = 8
	vectorBlkMSI = 72
)

// virtioDev is one device an optional driver took. No pointers: the
// driver is an index into virtioDrivers.
type virtioDev struct {
	drv int8  // index in virtioDrivers
	gsi int16 // its I/O APIC line, or -1 (MSI-X)
	dev int32 // the driver's number for it
}

var (
	virtioDevs  [maxVirtioDevs]virtioDev
	nVirtioDevs int

	// The transports live in static variables so that the interface
	// values the drivers keep point at them without allocating.
	optMMIO [virtioMMIOSlots]mmio.Device
	optPCI  [maxVirtioDevs]pci.Device
)

// Compile-time checks: both transports implement virtio.Transport.
var (
	_ virtio.Transport = (*mmio.Device)(nil)
	_ virtio.Transport = (*pci.Device)(nil)
)

// offerVirtio hands a device with ID id on transport t to its optional
// driver and records it as device n. Boot only.
func offerVirtio(id uint32, t virtio.Transport, gsi int) bool {
	if nVirtioDevs == maxVirtioDevs {
		return false
	}
	for k, d := range virtioDrivers {
		if d.DeviceID != id {
			continue
		}
		dev, ok := d.Probe(t)
		if !ok {
			continue
		}
		virtioDevs[nVirtioDevs] = virtioDev{drv: int8(k), gsi: int16(gsi), dev: int32(dev)}
		nVirtioDevs++
		return true
	}
	return false
}

// offerVirtioMMIO offers the device in MMIO slot i. Boot only.
func offerVirtioMMIO(apic ioapic.IOAPIC, apicID uint8, i int, d mmio.Device, id uint32) {
	optMMIO[i] = d
	gsi := virtioMMIOIRQ + i
	if offerVirtio(id, &optMMIO[i], gsi) {
		apic.Route(gsi, uint8(vectorIRQBase+gsi), apicID, 0)
	}
}

// offerVirtioPCI offers the PCI devices of every optional driver's type.
// Boot only; pci.MapMMIO is set.
func offerVirtioPCI(apicID uint8) {
	for k := range virtioDrivers {
		id := virtioDrivers[k].DeviceID
		first := uint8(0)
		for nVirtioDevs < maxVirtioDevs {
			// Modern ID 0x1040+id; transitional 0x0fff+id (VIRTIO 1.2 §4.1.2.1).
			d, ok := pci.FindFrom(first, uint16(id), uint16(0x0fff+id))
			if !ok {
				break
			}
			first = d.Dev + 1
			n := nVirtioDevs
			optPCI[n] = d
			if offerVirtio(id, &optPCI[n], -1) {
				for e := 0; e < optPCI[n].MSIXEntries(); e++ {
					optPCI[n].EnableMSIX(e, uint8(vectorVirtioMSI+n), apicID)
				}
			}
		}
	}
}

// virtioIRQ runs the driver of the MMIO device on I/O APIC line gsi; false
// if none has it.
func virtioIRQ(gsi int) bool {
	for n := 0; n < nVirtioDevs; n++ {
		if int(virtioDevs[n].gsi) == gsi {
			virtioIntr(n)
			return true
		}
	}
	return false
}

// virtioIntr runs the interrupt handler of optional device n.
func virtioIntr(n int) {
	if n < nVirtioDevs {
		v := virtioDevs[n]
		virtioDrivers[v.drv].Interrupt(int(v.dev))
	}
}

// The MSI-X vector ranges must not overlap (the trap dispatch tests them
// in order): disks, then the network device, then optional drivers. These
// constants fail to compile when they do.
const (
	_ = uint(vectorNetMSI - (vectorBlkMSI + maxDisks))
	_ = uint(vectorVirtioMSI - vectorNetMSI - 1)
)
