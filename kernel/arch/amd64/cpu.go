// Package amd64 is the x86-64 machine layer of the unigo kernel: boot entry
// points (PVH and the 64-bit Linux boot protocol), descriptor tables, trap
// entry and exit, the thread switch, and CPU primitives (port I/O, MSRs,
// control registers, CPUID, TSC, RDRAND).
//
// The design is recorded in docs/adr/0001-execution-model.md: everything runs
// at CPL0; GS points at the per-CPU block; traps run on per-thread kernel
// stacks with FS pointing at a per-CPU kernel g so that ordinary (not nosplit)
// Go code can run there, under the trap-context rules.
package amd64

// Port I/O.
func Outb(port uint16, val uint8)
func Inb(port uint16) uint8
func Outw(port uint16, val uint16)
func Inw(port uint16) uint16
func Outl(port uint16, val uint32)
func Inl(port uint16) uint32

// Model-specific registers.
func Rdmsr(msr uint32) uint64
func Wrmsr(msr uint32, val uint64)

// Cpuid executes CPUID with EAX=leaf, ECX=sub.
func Cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// Rdtsc reads the time-stamp counter.
func Rdtsc() uint64

// Rdrand and Rdseed return a hardware random number; ok is false when the
// instruction kept failing (or is absent: callers check CPUID first).
func Rdrand() (val uint64, ok bool)
func Rdseed() (val uint64, ok bool)

// Control registers.
func ReadCR0() uintptr
func WriteCR0(val uintptr)
func ReadCR2() uintptr
func ReadCR3() uintptr
func WriteCR3(val uintptr)
func ReadCR4() uintptr
func WriteCR4(val uintptr)

// Extended control registers (XCR0).
func Xgetbv(idx uint32) uint64
func Xsetbv(idx uint32, val uint64)

// Invlpg invalidates the TLB entry for va.
func Invlpg(va uintptr)

// Descriptor tables. p points at a 10-byte pseudo-descriptor.
func Lgdt(p uintptr)
func Lidt(p uintptr)
func Ltr(sel uint16)

// Hlt enables interrupts, waits for one, and disables them again.
func Hlt()

// Cli disables interrupts.
func Cli()

// Pause is the spin-loop hint.
func Pause()

// Halt stops this CPU for good.
func Halt()

// Rflags returns RFLAGS.
func Rflags() uintptr

// Fxsave and Xsave store the current vector state at p (512 bytes, 16-byte
// aligned for FXSAVE; XSaveSize bytes, 64-byte aligned for XSAVE).
func Fxsave(p uintptr)
func Xsave(p uintptr)

// Fninit resets the x87 FPU.
func Fninit()

// Addresses of assembly entry points.
func rt0PC() uintptr
func syscallEntryPC() uintptr
func syscallEntryFastPC() uintptr
func trapretPC() uintptr
func kthreadStartPC() uintptr
func vectorTable() uintptr
func vectorStubs()

// Entry points implemented in assembly and reached only from the hardware.
func syscallEntry()
func syscallEntryFast()
func trapret()
func kthreadStart()
func entry64()
func start64()
func pvh64()

// swtch saves the running kernel context's stack pointer in *save and
// resumes next. It returns when another thread switches back.
func swtch(save *uintptr, next *KContext)

// TextStart returns the start of the program text (runtime.text).
func TextStart() uintptr

// PCLNTab returns the address of the Go pclntab (its pcHeader).
func PCLNTab() uintptr

// ReenterLinux64 restarts the boot at the 64-bit Linux boot protocol entry
// with RSI = bootParams. It does not return.
func ReenterLinux64(bootParams uintptr)
