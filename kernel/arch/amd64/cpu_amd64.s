// CPU primitives. Each has a Go prototype in cpu.go.

#include "go_asm.h"
#include "textflag.h"

TEXT ·Outb(SB),NOSPLIT,$0-3
	MOVW port+0(FP), DX
	MOVB val+2(FP), AX
	OUTB
	RET

TEXT ·Inb(SB),NOSPLIT,$0-9
	MOVW port+0(FP), DX
	INB
	MOVB AX, ret+8(FP)
	RET

TEXT ·Outw(SB),NOSPLIT,$0-4
	MOVW port+0(FP), DX
	MOVW val+2(FP), AX
	OUTW
	RET

TEXT ·Inw(SB),NOSPLIT,$0-10
	MOVW port+0(FP), DX
	INW
	MOVW AX, ret+8(FP)
	RET

TEXT ·Outl(SB),NOSPLIT,$0-8
	MOVW port+0(FP), DX
	MOVL val+4(FP), AX
	OUTL
	RET

TEXT ·Inl(SB),NOSPLIT,$0-12
	MOVW port+0(FP), DX
	INL
	MOVL AX, ret+8(FP)
	RET

TEXT ·Rdmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·Wrmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	MOVQ val+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	RET

TEXT ·Cpuid(SB),NOSPLIT,$0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

TEXT ·Rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·Rdrand(SB),NOSPLIT,$0-9
	MOVL $10, CX
retry:
	RDRANDQ AX
	JCS ok
	DECL CX
	JNE retry
	MOVB $0, ok+8(FP)
	RET
ok:
	MOVQ AX, val+0(FP)
	MOVB $1, ok+8(FP)
	RET

TEXT ·Rdseed(SB),NOSPLIT,$0-9
	MOVL $100, CX
retry:
	RDSEEDQ AX
	JCS ok
	PAUSE
	DECL CX
	JNE retry
	MOVB $0, ok+8(FP)
	RET
ok:
	MOVQ AX, val+0(FP)
	MOVB $1, ok+8(FP)
	RET

TEXT ·ReadCR0(SB),NOSPLIT,$0-8
	MOVQ CR0, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·WriteCR0(SB),NOSPLIT,$0-8
	MOVQ val+0(FP), AX
	MOVQ AX, CR0
	RET

TEXT ·ReadCR2(SB),NOSPLIT,$0-8
	MOVQ CR2, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·ReadCR3(SB),NOSPLIT,$0-8
	MOVQ CR3, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·WriteCR3(SB),NOSPLIT,$0-8
	MOVQ val+0(FP), AX
	MOVQ AX, CR3
	RET

TEXT ·ReadCR4(SB),NOSPLIT,$0-8
	MOVQ CR4, AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·WriteCR4(SB),NOSPLIT,$0-8
	MOVQ val+0(FP), AX
	MOVQ AX, CR4
	RET

TEXT ·Xgetbv(SB),NOSPLIT,$0-16
	MOVL idx+0(FP), CX
	XGETBV
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

TEXT ·Xsetbv(SB),NOSPLIT,$0-16
	MOVL idx+0(FP), CX
	MOVQ val+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	XSETBV
	RET

TEXT ·Invlpg(SB),NOSPLIT,$0-8
	MOVQ va+0(FP), AX
	INVLPG (AX)
	RET

// Lgdt loads GDTR from the 10-byte pseudo-descriptor at p and reloads the
// segment registers: CS = KernelCS (by far return), data = KernelDS.
// FS and GS bases are preserved by the caller (they are MSRs).
TEXT ·Lgdt(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), AX
	LGDT (AX)
	MOVL $const_KernelDS, AX
	MOVW AX, DS
	MOVW AX, ES
	MOVW AX, SS
	// far return to reload CS
	LEAQ reloaded<>(SB), AX
	BYTE $0x6A; BYTE $const_KernelCS // pushq $KernelCS (the assembler rejects unbalanced PUSHQ)
	BYTE $0x50                       // pushq %rax
	BYTE $0x48; BYTE $0xCB           // lretq
	RET

TEXT reloaded<>(SB),NOSPLIT|NOFRAME,$0
	RET

TEXT ·Lidt(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), AX
	LIDT (AX)
	RET

TEXT ·Ltr(SB),NOSPLIT,$0-2
	MOVW sel+0(FP), AX
	LTR AX
	RET

// Hlt waits for an interrupt with interrupts enabled, then disables them
// again. STI's one-instruction shadow makes "sti; hlt" race-free.
TEXT ·Hlt(SB),NOSPLIT,$0
	STI
	HLT
	CLI
	RET

TEXT ·Cli(SB),NOSPLIT,$0
	CLI
	RET

TEXT ·Pause(SB),NOSPLIT,$0
	PAUSE
	RET

// Halt stops the CPU for good.
TEXT ·Halt(SB),NOSPLIT,$0
	CLI
hang:
	HLT
	JMP hang

TEXT ·Rflags(SB),NOSPLIT,$0-8
	PUSHFQ
	POPQ AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·rt0PC(SB),NOSPLIT,$0-8
	LEAQ _rt0_amd64_linux(SB), AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·syscallEntryPC(SB),NOSPLIT,$0-8
	LEAQ ·syscallEntry(SB), AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·syscallEntryFastPC(SB),NOSPLIT,$0-8
	LEAQ ·syscallEntryFast(SB), AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·trapretPC(SB),NOSPLIT,$0-8
	LEAQ ·trapret(SB), AX
	MOVQ AX, ret+0(FP)
	RET

TEXT ·kthreadStartPC(SB),NOSPLIT,$0-8
	LEAQ ·kthreadStart(SB), AX
	MOVQ AX, ret+0(FP)
	RET


// Fxsave and Xsave store the current vector state at p (FXSAVE format or
// XSAVE standard format); used to create initial thread states.
TEXT ·Fxsave(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), AX
	FXSAVE64 (AX)
	RET

TEXT ·Xsave(SB),NOSPLIT,$0-8
	MOVQ p+0(FP), BX
	MOVL $-1, AX
	MOVL $-1, DX
	XSAVE64 (BX)
	RET

TEXT ·Fninit(SB),NOSPLIT,$0
	BYTE $0xDB; BYTE $0xE3 // fninit
	RET

// TextStart returns the address of the start of the program text (the
// linker's runtime.text), the base of the pclntab's function offsets.
TEXT ·TextStart(SB),NOSPLIT,$0-8
	LEAQ runtime·text(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// PCLNTab returns the address of the Go pclntab (runtime.pclntab), which
// starts with the runtime's pcHeader.
TEXT ·PCLNTab(SB),NOSPLIT,$0-8
	LEAQ runtime·pclntab(SB), AX
	MOVQ AX, ret+0(FP)
	RET
