package bootinfo

// PVH start_info layout.
//
// xen/include/public/arch-x86/hvm/start_info.h
const (
	pvhMagic = 0x336ec578 // XEN_HVM_START_MAGIC_VALUE, "xEn3" with 0x80 set in 'E'

	pvhMagicOff         = 0x00 // uint32
	pvhVersionOff       = 0x04 // uint32
	pvhNrModulesOff     = 0x0c // uint32
	pvhModlistOff       = 0x10 // uint64
	pvhCmdlineOff       = 0x18 // uint64
	pvhRSDPOff          = 0x20 // uint64
	pvhMemmapOff        = 0x28 // uint64, version >= 1
	pvhMemmapEntriesOff = 0x30 // uint32, version >= 1
	pvhSizeV0           = 0x28
	pvhSizeV1           = 0x38

	// struct hvm_modlist_entry {paddr, size, cmdline_paddr, reserved uint64}
	pvhModSize       = 32
	pvhModSizeOff    = 8
	pvhModCmdlineOff = 16

	// struct hvm_memmap_table_entry {addr, size uint64; type, reserved uint32}
	pvhMemSize    = 24
	pvhMemSizeOff = 8
	pvhMemTypeOff = 16
)

// ParsePVH fills out from the PVH start_info at physical address startInfo
// (EBX at the PVH entry point). It needs version 1 of the structure, the one
// with a memory map: that is what QEMU, Firecracker and cloud-hypervisor
// pass. Boot modules keep their order; the first is usually the initrd.
//
// It does not allocate and may run before the Go runtime starts.
func ParsePVH(mem Phys, startInfo uintptr, out *Info) error {
	*out = Info{}
	if !mem.Contains(startInfo, pvhSizeV0) {
		return ErrBadAddress
	}
	if mem.Uint32(startInfo+pvhMagicOff) != pvhMagic {
		return ErrBadMagic
	}
	out.Proto = PVH
	if mem.Uint32(startInfo+pvhVersionOff) < 1 {
		return ErrNoMemoryMap
	}
	if !mem.Contains(startInfo, pvhSizeV1) {
		return ErrBadAddress
	}

	nmem := uintptr(mem.Uint32(startInfo + pvhMemmapEntriesOff))
	mmap := uintptr(mem.Uint64(startInfo + pvhMemmapOff))
	if nmem == 0 || mmap == 0 {
		return ErrNoMemoryMap
	}
	if !mem.Contains(mmap, nmem*pvhMemSize) {
		return ErrBadAddress
	}
	for k := uintptr(0); k < nmem; k++ {
		e := mmap + k*pvhMemSize
		addr := uintptr(mem.Uint64(e))
		size := uintptr(mem.Uint64(e + pvhMemSizeOff))
		typ := mem.Uint32(e + pvhMemTypeOff)
		if err := out.AddRange(addr, rangeEnd(addr, size), kindOf(typ)); err != nil {
			return err
		}
	}

	nmods := uintptr(mem.Uint32(startInfo + pvhNrModulesOff))
	mods := uintptr(mem.Uint64(startInfo + pvhModlistOff))
	if nmods > 0 && mods != 0 {
		if nmods > MaxModules {
			return ErrTooManyModules
		}
		if !mem.Contains(mods, nmods*pvhModSize) {
			return ErrBadAddress
		}
		for k := uintptr(0); k < nmods; k++ {
			e := mods + k*pvhModSize
			addr := uintptr(mem.Uint64(e))
			size := uintptr(mem.Uint64(e + pvhModSizeOff))
			out.Mods[k] = Module{
				Start:   addr,
				End:     rangeEnd(addr, size),
				Cmdline: uintptr(mem.Uint64(e + pvhModCmdlineOff)),
			}
		}
		out.NMods = int(nmods)
	}

	out.RSDP = uintptr(mem.Uint64(startInfo + pvhRSDPOff))
	return out.setCmdline(mem, uintptr(mem.Uint64(startInfo+pvhCmdlineOff)))
}

// boot_params ("zero page") layout.
//
// arch/x86/include/uapi/asm/bootparam.h; Documentation/arch/x86/zero-page.rst
// and boot.rst
const (
	bpSize = 4096

	bpACPIRSDPOff        = 0x070 // uint64 acpi_rsdp_addr (protocol 2.14)
	bpExtRamdiskImageOff = 0x0c0 // uint32 ext_ramdisk_image
	bpExtRamdiskSizeOff  = 0x0c4 // uint32 ext_ramdisk_size
	bpExtCmdLinePtrOff   = 0x0c8 // uint32 ext_cmd_line_ptr
	bpE820EntriesOff     = 0x1e8 // uint8  e820_entries
	bpSentinelOff        = 0x1ef // uint8  sentinel
	bpHeaderOff          = 0x202 // uint32 hdr.header, "HdrS"
	bpRamdiskImageOff    = 0x218 // uint32 hdr.ramdisk_image
	bpRamdiskSizeOff     = 0x21c // uint32 hdr.ramdisk_size
	bpCmdLinePtrOff      = 0x228 // uint32 hdr.cmd_line_ptr
	bpE820TableOff       = 0x2d0 // struct boot_e820_entry[128], packed

	bpHdrMagic      = 0x53726448 // "HdrS"
	bpE820Max       = 128        // E820_MAX_ENTRIES_ZEROPAGE
	bpE820EntrySize = 20         // {addr, size uint64; type uint32}, packed
	bpE820SizeOff   = 8
	bpE820TypeOff   = 16
)

// ParseLinuxBoot fills out from the boot_params zero page at physical address
// bootParams (RSI at the 64-bit Linux entry point). The memory map is the
// zero page's e820 table (up to 128 entries; SETUP_E820_EXT setup_data is not
// followed); the initrd, if any, becomes Mods[0]. The upper halves of
// addresses (ext_* fields) are used unless the sentinel byte says the loader
// did not zero the structure, as Linux's sanitize_boot_params does.
//
// It does not allocate and may run before the Go runtime starts.
func ParseLinuxBoot(mem Phys, bootParams uintptr, out *Info) error {
	*out = Info{}
	bp := bootParams
	if !mem.Contains(bp, bpSize) {
		return ErrBadAddress
	}
	if mem.Uint32(bp+bpHeaderOff) != bpHdrMagic {
		return ErrBadMagic
	}
	out.Proto = LinuxBoot
	ext := mem.Uint8(bp+bpSentinelOff) == 0

	n := uintptr(mem.Uint8(bp + bpE820EntriesOff))
	if n == 0 {
		return ErrNoMemoryMap
	}
	if n > bpE820Max {
		n = bpE820Max
	}
	for k := uintptr(0); k < n; k++ {
		e := bp + bpE820TableOff + k*bpE820EntrySize
		addr := uintptr(mem.Uint64(e))
		size := uintptr(mem.Uint64(e + bpE820SizeOff))
		typ := mem.Uint32(e + bpE820TypeOff)
		if err := out.AddRange(addr, rangeEnd(addr, size), kindOf(typ)); err != nil {
			return err
		}
	}

	image := uintptr(mem.Uint32(bp + bpRamdiskImageOff))
	size := uintptr(mem.Uint32(bp + bpRamdiskSizeOff))
	cmdline := uintptr(mem.Uint32(bp + bpCmdLinePtrOff))
	if ext {
		image |= uintptr(mem.Uint32(bp+bpExtRamdiskImageOff)) << 32
		size |= uintptr(mem.Uint32(bp+bpExtRamdiskSizeOff)) << 32
		cmdline |= uintptr(mem.Uint32(bp+bpExtCmdLinePtrOff)) << 32
	}
	if size != 0 {
		out.Mods[0] = Module{Start: image, End: rangeEnd(image, size)}
		out.NMods = 1
	}
	out.RSDP = uintptr(mem.Uint64(bp + bpACPIRSDPOff))
	return out.setCmdline(mem, cmdline)
}
