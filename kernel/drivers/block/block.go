// Package block is the registry of the kernel's block devices: the virtio-blk
// disks that kernel/core finds at boot register here, and file-system drivers
// (kernel/fs/ext2) find them by name ("vdb") without importing core.
//
// A transfer moves whole 512-byte sectors between the device and kernel
// memory given as segments of direct-map addresses ([Seg]); a driver may DMA
// straight into them (direct-map ranges are physically contiguous), so there
// is no bounce buffer on this path. Transfers and flushes may sleep until the
// device completes; they run in trap context and must not allocate (ADR 0001).
//
// # Concurrency
//
// None inside: the kernel runs with interrupts off on one CPU; devices are
// registered at boot, before the Go runtime starts ([Register] stores
// pointer-typed fields), and only read afterwards.
package block

import "unigo.dev/unigo/kernel/abi/linux"

// SectorSize is the unit of [Device.Sectors] and of transfer offsets.
const SectorSize = 512

// MaxDevices is the number of block devices the registry holds.
const MaxDevices = 8

// Seg is one piece of a transfer: Len bytes (a multiple of [SectorSize]) at
// the kernel virtual address VA (direct map).
type Seg struct {
	VA  uintptr
	Len uint32
}

// Device is a block device.
type Device struct {
	Name     [8]byte // "vda", NUL-padded
	Sectors  uint64  // capacity in 512-byte sectors
	ReadOnly bool
	// MaxSegs is the most segments one Transfer accepts (≥ 1); MaxBytes the
	// most bytes (0: no limit besides MaxSegs).
	MaxSegs  int
	MaxBytes uint32
	// Transfer reads (write false) or writes segs back to back starting at
	// sector. It returns EIO on a device error, EROFS on a read-only device,
	// EINVAL past the end.
	Transfer func(d *Device, write bool, sector uint64, segs []Seg) linux.Errno
	// Flush makes completed writes durable (the device's write cache);
	// nil when the device has no volatile cache.
	Flush func(d *Device) linux.Errno
	// Priv is the driver's word (its device index).
	Priv uintptr
}

// NameBytes returns the device name.
func (d *Device) NameBytes() []byte {
	n := 0
	for n < len(d.Name) && d.Name[n] != 0 {
		n++
	}
	return d.Name[:n]
}

// SetName sets the device name (truncated to 8 bytes).
func (d *Device) SetName(s string) {
	d.Name = [8]byte{}
	copy(d.Name[:], s)
}

var (
	devs [MaxDevices]Device
	ndev int
)

// Register adds a copy of d to the registry and returns the registered
// device, or nil when the registry is full. Boot only (and hosted tests).
func Register(d *Device) *Device {
	if ndev == len(devs) {
		return nil
	}
	if d.MaxSegs < 1 {
		d.MaxSegs = 1
	}
	devs[ndev] = *d
	ndev++
	return &devs[ndev-1]
}

// Reset empties the registry (hosted tests).
func Reset() {
	devs = [MaxDevices]Device{}
	ndev = 0
}

// Find returns the device named name, or nil.
func Find(name []byte) *Device {
	for i := 0; i < ndev; i++ {
		if string(devs[i].NameBytes()) == string(name) {
			return &devs[i]
		}
	}
	return nil
}

// Count returns the number of registered devices; [At] returns the i-th.
func Count() int { return ndev }

// At returns the i-th registered device (0 ≤ i < [Count]).
func At(i int) *Device { return &devs[i] }

// Size returns the device's capacity in bytes.
func (d *Device) Size() int64 { return int64(d.Sectors) * SectorSize }

// Sync flushes d's write cache if it has one.
func (d *Device) Sync() linux.Errno {
	if d.Flush == nil {
		return 0
	}
	return d.Flush(d)
}
