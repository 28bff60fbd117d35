package amd64

import "unsafe"

// MSRs (Intel SDM vol. 4).
const (
	MSREFER        = 0xC0000080
	MSRSTAR        = 0xC0000081
	MSRLSTAR       = 0xC0000082
	MSRSFMASK      = 0xC0000084
	MSRFSBase      = 0xC0000100
	MSRGSBase      = 0xC0000101
	MSRKernelGS    = 0xC0000102
	MSRTSCDeadline = 0x6E0
	MSRAPICBase    = 0x1B
)

// CPU features found by InitCPU.
var Features struct {
	XSave      bool
	AVX        bool
	NX         bool
	RDRAND     bool
	RDSEED     bool
	TSCDeadln  bool
	Hypervisor bool
	FSGSBase   bool
	XSaveSize  uintptr
	XCR0       uint64
}

const (
	istStackSize = 16 << 10
	ist1         = 1 // all vectors but #DF and NMI
	ist2         = 2 // #DF
	ist3         = 3 // NMI
)

var (
	gdt       [5]uint64
	tss       [26]uint32 // 104 bytes, packed
	idt       [256][2]uint64
	istStacks [3][istStackSize]byte
	pseudo    [2]uint64 // scratch for LGDT/LIDT pseudo-descriptors
)

// TrapHandler is called for every trap with the saved frame. It is set once at
// boot, before the Go runtime starts.
var TrapHandler func(tf *TrapFrame)

// SyscallHandler is called for every SYSCALL from the program, directly
// from syscallEntry (which calls the func value with the Go register ABI).
// It is set once at boot, before the Go runtime starts.
var SyscallHandler func(tf *TrapFrame)

// trapDispatch is called by trapcommon on the thread's kernel stack.
func trapDispatch(tf *TrapFrame) {
	TrapHandler(tf)
}

// InitCPU sets up the boot CPU: vector-state saving (XSAVE with AVX when
// available), the GDT with a TSS and IST stacks, the IDT, the per-CPU block
// in GS, and SYSCALL.
func InitCPU() {
	_, _, ecx1, edx1 := Cpuid(1, 0)
	_, ebx7, ecx7, _ := Cpuid(7, 0)
	maxExt, _, _, _ := Cpuid(0x80000000, 0)
	var edxExt uint32
	if maxExt >= 0x80000001 {
		_, _, _, edxExt = Cpuid(0x80000001, 0)
	}
	_ = edx1
	Features.XSave = ecx1&(1<<26) != 0
	Features.RDRAND = ecx1&(1<<30) != 0
	Features.TSCDeadln = ecx1&(1<<24) != 0
	Features.Hypervisor = ecx1&(1<<31) != 0
	Features.RDSEED = ebx7&(1<<18) != 0
	Features.FSGSBase = ebx7&1 != 0
	Features.NX = edxExt&(1<<20) != 0
	_ = ecx7

	// Vector state: XSAVE with x87|SSE|AVX (and AVX-512 when present).
	cr4 := ReadCR4()
	Features.XSaveSize = 512
	if Features.XSave {
		WriteCR4(cr4 | 1<<18) // OSXSAVE
		supLo, _, _, supHi := Cpuid(0xD, 0)
		sup := uint64(supHi)<<32 | uint64(supLo)
		want := uint64(0x3) // x87, SSE
		if ecx1&(1<<28) != 0 && sup&0x4 != 0 {
			want |= 0x4 // AVX
			Features.AVX = true
		}
		if sup&0xE0 == 0xE0 {
			want |= 0xE0 // AVX-512 opmask, ZMM_Hi256, Hi16_ZMM
		}
		Xsetbv(0, want)
		Features.XCR0 = want
		_, size, _, _ := Cpuid(0xD, 0) // EBX: size for the enabled features
		Features.XSaveSize = uintptr(size)
		cpu0.useXSave = 1
	}
	cpu0.xsaveSize = (Features.XSaveSize + 63) &^ 63

	// Per-CPU block and kernel g.
	cpu0.self = uintptr(unsafe.Pointer(&cpu0))
	cpu0.ktlsSlot = uintptr(unsafe.Pointer(&cpu0.kg))
	cpu0.ktls = uintptr(unsafe.Pointer(&cpu0.ktlsSlot)) + 8
	Wrmsr(MSRGSBase, uint64(cpu0.self))
	Wrmsr(MSRKernelGS, 0)

	// GDT: null, code, data, TSS.
	gdt[0] = 0
	gdt[1] = 0x00AF9A000000FFFF
	gdt[2] = 0x00CF92000000FFFF
	setTSS()
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	limit := uint64(len(tss)*4 - 1)
	gdt[3] = limit&0xFFFF | (base&0xFFFFFF)<<16 | 0x89<<40 | (limit>>16&0xF)<<48 | (base>>24&0xFF)<<56
	gdt[4] = base >> 32
	loadDescriptor(Lgdt, uintptr(unsafe.Pointer(&gdt)), uint16(len(gdt)*8-1))
	Ltr(TSSSel)

	// IDT: every vector through its stub (vectorStubs+8v) on IST1; #DF and
	// NMI on their own IST stacks.
	stubs := vectorTable()
	for v := 0; v < 256; v++ {
		ist := uint64(ist1)
		switch v {
		case VectorDouble:
			ist = ist2
		case VectorNMI:
			ist = ist3
		}
		h := uint64(stubs + uintptr(v)*8)
		// Interrupt gate (type 0xE), present, DPL 0.
		idt[v][0] = h&0xFFFF | uint64(KernelCS)<<16 | ist<<32 | 0x8E<<40 | (h>>16&0xFFFF)<<48
		idt[v][1] = h >> 32
	}
	loadDescriptor(Lidt, uintptr(unsafe.Pointer(&idt)), uint16(len(idt)*16-1))

	// SYSCALL: CS/SS from STAR[47:32]; entry at LSTAR; SFMASK clears IF, TF,
	// DF, AC, NT. EFER.SCE on (EFER.NXE was set by the entry code).
	Wrmsr(MSRSTAR, uint64(KernelCS)<<32|uint64(KernelCS)<<48)
	entry := syscallEntryPC()
	if Features.FSGSBase && cpu0.useXSave != 0 && (TrapFrameSize+cpu0.xsaveSize)%64 == 0 {
		WriteCR4(ReadCR4() | 1<<16) // CR4.FSGSBASE: WRFSBASE
		entry = syscallEntryFastPC()
	}
	Wrmsr(MSRLSTAR, uint64(entry))
	Wrmsr(MSRSFMASK, 0x47700)
	efer := Rdmsr(MSREFER) | 1
	if Features.NX {
		efer |= 1 << 11
	}
	Wrmsr(MSREFER, efer)
}

func setTSS() {
	for i := range tss {
		tss[i] = 0
	}
	for i := 0; i < 3; i++ {
		top := uint64(uintptr(unsafe.Pointer(&istStacks[i])) + istStackSize)
		// IST1 is at byte offset 36: uint32 index 9.
		tss[9+2*i] = uint32(top)
		tss[10+2*i] = uint32(top >> 32)
	}
	tss[25] = 104 << 16 // I/O map base beyond the limit: no I/O bitmap
}

func loadDescriptor(load func(uintptr), base uintptr, limit uint16) {
	p := uintptr(unsafe.Pointer(&pseudo))
	*(*uint16)(ptr(p)) = limit
	*(*uint64)(ptr(p + 2)) = uint64(base)
	load(p)
}

// SetBootKernelStack makes the boot stack the current kernel stack, so that
// traps taken during early boot land below the interrupted stack pointer.
func SetBootKernelStack() {
	lo := uintptr(unsafe.Pointer(&bootstack))
	cpu0.kstackLo = lo
	cpu0.kstackTop = lo + bootStackSize
	cpu0.kg = bootg
}

// KernelTLS returns the FS base used while in the kernel.
func KernelTLS() uintptr { return cpu0.ktls }

// VectorStateSize is the number of bytes a saved vector state occupies.
func VectorStateSize() uintptr { return cpu0.xsaveSize }

// UsesXSave reports whether vector state is in XSAVE format.
func UsesXSave() bool { return cpu0.useXSave != 0 }
