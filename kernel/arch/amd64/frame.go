package amd64

import "unsafe"

// Boot protocols, as passed from the entry points to archMain.
const (
	BootPVH     = 1 // Xen PVH: info is a struct hvm_start_info
	BootLinux64 = 2 // 64-bit Linux boot protocol: info is a struct boot_params
)

// Segment selectors of the kernel GDT.
const (
	KernelCS = 0x08
	KernelDS = 0x10
	TSSSel   = 0x18 // 16-byte system descriptor: 0x18 and 0x20
)

// VectorSyscall is the pseudo vector recorded in a TrapFrame made by SYSCALL.
const VectorSyscall = 256

// Exception vectors (Intel SDM vol. 3 §6.3.1).
const (
	VectorDivide     = 0
	VectorDebug      = 1
	VectorNMI        = 2
	VectorBreakpoint = 3
	VectorOverflow   = 4
	VectorBound      = 5
	VectorInvalidOp  = 6
	VectorNoDevice   = 7
	VectorDouble     = 8
	VectorInvalidTSS = 10
	VectorNoSegment  = 11
	VectorStack      = 12
	VectorGP         = 13
	VectorPageFault  = 14
	VectorX87        = 16
	VectorAlignment  = 17
	VectorMachine    = 18
	VectorSIMD       = 19
)

// stackGuard is the distance from the bottom of a kernel stack to the kernel
// g's stackguard0: room for nosplit code, as the runtime's StackGuard.
const stackGuard = 928

const bootStackSize = 64 << 10

// TrapFrame is the machine state saved on trap entry, lowest address first.
// The layout is shared with trap_amd64.s through go_asm.h.
type TrapFrame struct {
	XSave uintptr // address of the saved vector state
	FS    uintptr // FS base of the interrupted context

	// The system-call arguments first, in their order (see SyscallArgs).
	RDI, RSI, RDX, R10, R8, R9 uintptr
	R15, R14, R13, R12, R11    uintptr
	RBP, RCX, RBX, RAX         uintptr

	Vector  uintptr
	ErrCode uintptr

	// Hardware interrupt frame (built by the stub for SYSCALL).
	RIP, CS, RFLAGS, RSP, SS uintptr
}

// SyscallArgs returns the six system-call arguments (RDI, RSI, RDX, R10,
// R8, R9), which the frame holds side by side in that order.
func (tf *TrapFrame) SyscallArgs() *[6]uintptr {
	return (*[6]uintptr)(unsafe.Pointer(&tf.RDI))
}

// TrapFrameSize is the size of a TrapFrame in bytes.
const TrapFrameSize = 24 * 8

// FromKernel reports whether the trap interrupted kernel code rather than the
// program (both run at CPL0; the kernel runs with interrupts disabled, and only
// the idle loop and early boot take traps in the kernel).
func (tf *TrapFrame) FromKernel() bool {
	return tf.RSP >= cpu0.kstackLo && tf.RSP < cpu0.kstackTop
}

// kernelG mimics the first words of runtime.g: stack.lo, stack.hi,
// stackguard0, stackguard1; _panic, _defer and m stay nil.
type kernelG struct {
	lo, hi         uintptr
	guard0, guard1 uintptr
	_              [60]uintptr
}

// KContext describes a kernel stack to resume with swtch.
type KContext struct {
	sp       uintptr // saved stack pointer
	stackLo  uintptr // bounds of the kernel stack
	stackTop uintptr
}

// PerCPU is the per-CPU block that GS points at.
type PerCPU struct {
	self      uintptr
	scratch   uintptr
	scratch2  uintptr
	kstackTop uintptr // top of the current thread's kernel stack
	kstackLo  uintptr
	ktls      uintptr // FS base while in the kernel: &ktlsSlot + 8
	xsaveSize uintptr // bytes reserved for vector state (+63 for alignment)
	useXSave  uint8
	_         [7]uint8
	ktlsSlot  uintptr // FS:-8 in the kernel: &kg
	kg        kernelG
}

var (
	cpu0      PerCPU
	bootg     kernelG
	boottls   [2]uintptr
	bootstack [bootStackSize]byte
)
