package core

import "unsafe"

// The vDSO: a small shared-object image whose address the kernel passes in
// the auxiliary vector (AT_SYSINFO_EHDR), as Linux does. The Go runtime
// looks up __vdso_clock_gettime in it and then reads the clocks without a
// system call: nanotime, time.Now and every timer the scheduler checks
// (dozens per HTTP request) cost a function call instead of a trap. The
// function itself (vdsoClockGettime, vdso_amd64.s) lives in the kernel's
// text and reads the kernel's read-only time base (tscBase, tscMult,
// bootEpoch: set at boot, never written after); the program runs in the
// kernel's address space, so it can. Clocks other than the realtime and
// monotonic families fall back to the system call.
//
// The image holds just what the runtime's parser (runtime/vdso_linux.go)
// needs: the ELF header, a PT_LOAD and a PT_DYNAMIC program header, the
// dynamic table, a DT_HASH table, the symbol and string tables and one
// version definition (LINUX_2.6).

// vdsoClockGettime is __vdso_clock_gettime; it follows the C calling
// convention and must not be called from Go.
func vdsoClockGettime()

// vdsoNsPerSec is the divisor vdsoClockGettime splits nanoseconds with
// (a memory operand saves loading it).
var vdsoNsPerSec uint64 = 1_000_000_000

// vdsoClockGettimeAddr returns vdsoClockGettime's address.
func vdsoClockGettimeAddr() uintptr

// The image's layout (byte offsets).
const (
	vdsoPhdrOff   = 64
	vdsoDynOff    = vdsoPhdrOff + 2*56
	vdsoDynCount  = 8 // HASH, STRTAB, SYMTAB, STRSZ, SYMENT, VERDEF, VERDEFNUM, NULL
	vdsoHashOff   = vdsoDynOff + vdsoDynCount*16
	vdsoSymOff    = vdsoHashOff + 24 // nbucket, nchain, bucket[0], chain[0..1], padding
	vdsoNSyms     = 2                // the null symbol and __vdso_clock_gettime
	vdsoVerdefOff = vdsoSymOff + vdsoNSyms*24
	vdsoStrOff    = vdsoVerdefOff + 20 + 8
	vdsoStrings   = "\x00__vdso_clock_gettime\x00LINUX_2.6\x00"
	vdsoSize      = vdsoStrOff + len(vdsoStrings)

	vdsoNameClockGettime = 1
	vdsoNameVersion      = 1 + len("__vdso_clock_gettime") + 1
	vdsoHashLinux26      = 0x3ae75f6 // ELF hash of "LINUX_2.6"
)

// vdsoImage is the vDSO; its address is AT_SYSINFO_EHDR.
var vdsoImage [vdsoSize]byte

// initVDSO writes the image. Boot only.
func initVDSO() uintptr {
	buildVDSO(vdsoImage[:], uintptr(unsafe.Pointer(&vdsoImage[0])), vdsoClockGettimeAddr())
	return uintptr(unsafe.Pointer(&vdsoImage[0]))
}

// buildVDSO writes a vDSO image into b, which will be at address base,
// whose __vdso_clock_gettime is at fn.
func buildVDSO(b []byte, base, fn uintptr) {
	clear(b)
	// ELF header (ELF-64 Object File Format §3).
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	putLE16(b[16:], 3)         // ET_DYN
	putLE16(b[18:], 62)        // EM_X86_64
	putLE32(b[20:], 1)
	putLE64(b[32:], vdsoPhdrOff)
	putLE16(b[52:], 64) // e_ehsize
	putLE16(b[54:], 56) // e_phentsize
	putLE16(b[56:], 2)  // e_phnum
	putLE16(b[58:], 64) // e_shentsize
	// PT_LOAD: the whole image, at virtual address 0 of the object.
	ph := b[vdsoPhdrOff:]
	putLE32(ph[0:], 1)
	putLE32(ph[4:], 5) // PF_R|PF_X
	putLE64(ph[32:], uint64(vdsoSize))
	putLE64(ph[40:], uint64(vdsoSize))
	putLE64(ph[48:], 4096)
	// PT_DYNAMIC.
	ph = b[vdsoPhdrOff+56:]
	putLE32(ph[0:], 2)
	putLE32(ph[4:], 4) // PF_R
	putLE64(ph[8:], vdsoDynOff)
	putLE64(ph[16:], vdsoDynOff)
	putLE64(ph[24:], vdsoDynOff)
	putLE64(ph[32:], vdsoDynCount*16)
	putLE64(ph[40:], vdsoDynCount*16)
	putLE64(ph[48:], 8)
	// The dynamic table.
	dyn := [vdsoDynCount][2]uint64{
		{4, vdsoHashOff},               // DT_HASH
		{5, vdsoStrOff},                // DT_STRTAB
		{6, vdsoSymOff},                // DT_SYMTAB
		{10, uint64(len(vdsoStrings))}, // DT_STRSZ
		{11, 24},                       // DT_SYMENT
		{0x6ffffffc, vdsoVerdefOff},    // DT_VERDEF
		{0x6ffffffd, 1},                // DT_VERDEFNUM
		{0, 0},                         // DT_NULL
	}
	for k, d := range dyn {
		putLE64(b[vdsoDynOff+16*k:], d[0])
		putLE64(b[vdsoDynOff+16*k+8:], d[1])
	}
	// DT_HASH: one bucket holding symbol 1, whose chain ends there.
	h := b[vdsoHashOff:]
	putLE32(h[0:], 1)         // nbucket
	putLE32(h[4:], vdsoNSyms) // nchain
	putLE32(h[8:], 1)         // bucket[0]
	// chain[0] and chain[1] are 0: the end of the chain.
	// Symbol 1: __vdso_clock_gettime, a global function; its value is
	// relative to the load address (PT_LOAD's p_vaddr is 0).
	s := b[vdsoSymOff+24:]
	putLE32(s[0:], vdsoNameClockGettime)
	s[4] = 1<<4 | 2                 // STB_GLOBAL, STT_FUNC
	putLE16(s[6:], 0xfff1)          // SHN_ABS: defined
	putLE64(s[8:], uint64(fn-base)) // wraps when fn < base; the loader adds base back
	// The version definition LINUX_2.6 (index 2) and its name.
	v := b[vdsoVerdefOff:]
	putLE16(v[0:], 1) // vd_version
	putLE16(v[4:], 2) // vd_ndx
	putLE16(v[6:], 1) // vd_cnt
	putLE32(v[8:], vdsoHashLinux26)
	putLE32(v[12:], 20) // vd_aux: right after
	putLE32(v[20:], uint32(vdsoNameVersion))
	copy(b[vdsoStrOff:], vdsoStrings)
}

// Little-endian stores into b (boot only; encoding/binary would link
// reflection into every image).
func putLE16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func putLE32(b []byte, v uint32) { putLE16(b, uint16(v)); putLE16(b[2:], uint16(v>>16)) }
func putLE64(b []byte, v uint64) { putLE32(b, uint32(v)); putLE32(b[4:], uint32(v>>32)) }
