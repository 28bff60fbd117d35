// Trap entry and exit. See docs/adr/0001-execution-model.md.
//
// Every entry builds a TrapFrame on the current thread's kernel stack:
//   SS RSP RFLAGS CS RIP ErrCode Vector RAX RBX RCX RBP R11..R15 R9 R8 R10
//   RDX RSI RDI FS XSave   (high -> low; the system-call arguments in order)
// then the vector state (XSAVE/FXSAVE) below it, 64-byte aligned, then one
// word holding the frame pointer, which is both the argument of trapDispatch
// and what trapret pops.

#include "go_asm.h"
#include "textflag.h"

#define MSR_FS_BASE 0xC0000100

// SYSCALL_FRAME switches to the thread's kernel stack and builds the
// trap frame of a SYSCALL (the hardware-frame part as an interrupt would
// push it, then the registers, the arguments in system-call order); R12
// ends up pointing at the frame.
#define SYSCALL_FRAME \
	MOVQ SP, PerCPU_scratch(GS); \
	MOVQ PerCPU_kstackTop(GS), SP; \
	PUSHQ $const_KernelDS; \
	PUSHQ PerCPU_scratch(GS); \
	PUSHQ R11; \
	PUSHQ $const_KernelCS; \
	PUSHQ CX; \
	PUSHQ $0; \
	PUSHQ $const_VectorSyscall; \
	PUSHQ AX; \
	PUSHQ BX; \
	PUSHQ CX; \
	PUSHQ BP; \
	PUSHQ R11; \
	PUSHQ R12; \
	PUSHQ R13; \
	PUSHQ R14; \
	PUSHQ R15; \
	PUSHQ R9; \
	PUSHQ R8; \
	PUSHQ R10; \
	PUSHQ DX; \
	PUSHQ SI; \
	PUSHQ DI; \
	SUBQ $16, SP; \
	MOVQ SP, R12

// FRAME_RETURN pops the trap frame's registers, SP pointing at its DI,
// skips the vector number and error code, and returns through the
// hardware part with IRETQ.
#define FRAME_RETURN \
	POPQ DI; \
	POPQ SI; \
	POPQ DX; \
	POPQ R10; \
	POPQ R8; \
	POPQ R9; \
	POPQ R15; \
	POPQ R14; \
	POPQ R13; \
	POPQ R12; \
	POPQ R11; \
	POPQ BP; \
	POPQ CX; \
	POPQ BX; \
	POPQ AX; \
	ADDQ $16, SP; \
	IRETQ

// CALL_SYSCALL_HANDLER calls the Go system-call handler (SyscallHandler,
// ABIInternal) through its func value with the frame (R12) as argument,
// R14 = the kernel g and X15 = 0 as the Go ABI wants.
#define CALL_SYSCALL_HANDLER \
	MOVQ R12, AX; \
	MOVQ PerCPU_ktlsSlot(GS), R14; \
	XORPS X15, X15; \
	MOVQ ·SyscallHandler(SB), DX; \
	MOVQ 0(DX), BX; \
	CALL BX

// syscallEntry is the LSTAR target. SYSCALL at CPL0: RCX = return RIP,
// R11 = RFLAGS, IF and DF cleared by SFMASK, RSP still the program's.
//
// It is trapcommon specialised for the system call, the trap of every
// request (docs/adr/0001-execution-model.md, "The system-call path"):
//   - the frame is always at the top of the thread's kernel stack, where
//     frame.FS already holds the program's FS base (set by clone,
//     arch_prctl and every earlier trap; the program changes it only
//     through arch_prctl), so FS is only switched to the kernel TLS,
//     without reading it first;
//   - the vector state's place is fixed too, and its XSAVE header stays
//     valid between traps (XSAVE writes only XSTATE_BV; InitThread and
//     rt_sigreturn write whole valid areas), so it is not zeroed again;
//   - the Go handler (SyscallHandler, ABIInternal) is called through its
//     func value with R14 = the kernel g and X15 = 0 set here, without
//     the ABI0 wrapper and the generic dispatch.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	SYSCALL_FRAME

	// FS = kernel TLS (frame.FS is already the program's).
	MOVL PerCPU_ktls(GS), AX
	MOVL PerCPU_ktls+4(GS), DX
	MOVL $MSR_FS_BASE, CX
	WRMSR

	SUBQ PerCPU_xsaveSize(GS), SP
	ANDQ $~63, SP
	MOVQ SP, TrapFrame_XSave(R12)
	CMPB PerCPU_useXSave(GS), $0
	JEQ sysfxsave
	MOVL $-1, AX
	MOVL $-1, DX
	XSAVE64 (SP)
	JMP syssaved
sysfxsave:
	FXSAVE64 (SP)
syssaved:
	PUSHQ R12 // the spill slot of the handler's argument; popped by trapret
	CALL_SYSCALL_HANDLER
	JMP ·trapret(SB)

// syscallEntryFast is syscallEntry for CPUs with XSAVE and FSGSBASE (InitCPU
// picks it): WRFSBASE instead of WRMSR, no format test, and the vector
// state's place computed, not stored (the top frame's XSave field keeps
// it: kernel stacks are page aligned and the frame is TrapFrameSize, a
// multiple of 64, so the area is exactly xsaveSize below the frame). It
// returns on its own, without trapret's tests; threads that switched
// away inside the call come back here through swtch as well.
TEXT ·syscallEntryFast(SB),NOSPLIT|NOFRAME,$0
	SYSCALL_FRAME

	MOVQ PerCPU_ktls(GS), AX
	WRFSBASEQ AX

	SUBQ PerCPU_xsaveSize(GS), SP
	MOVL $-1, AX
	MOVL $-1, DX
	XSAVE64 (SP)
	PUSHQ R12 // the spill slot of the handler's argument
	CALL_SYSCALL_HANDLER

	POPQ R12
	MOVL $-1, AX
	MOVL $-1, DX
	XRSTOR64 (SP)
	MOVQ TrapFrame_FS(R12), AX
	WRFSBASEQ AX
	LEAQ 16(R12), SP
	FRAME_RETURN

// istcommon: an interrupt or exception arrived on IST1 with
// [vector, errcode, rip, cs, rflags, rsp, ss] on the stack. Move the frame to
// the current thread's kernel stack: below the interrupted RSP when kernel code
// was interrupted, at the top of the kernel stack when program code was.
TEXT istcommon<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ AX, PerCPU_scratch(GS)
	MOVQ BX, PerCPU_scratch2(GS)
	MOVQ 40(SP), AX
	CMPQ AX, PerCPU_kstackLo(GS)
	JCS fromprog
	CMPQ AX, PerCPU_kstackTop(GS)
	JCC fromprog
	ANDQ $~15, AX
	JMP copy
fromprog:
	MOVQ PerCPU_kstackTop(GS), AX
copy:
	SUBQ $56, AX
	MOVQ 0(SP), BX
	MOVQ BX, 0(AX)
	MOVQ 8(SP), BX
	MOVQ BX, 8(AX)
	MOVQ 16(SP), BX
	MOVQ BX, 16(AX)
	MOVQ 24(SP), BX
	MOVQ BX, 24(AX)
	MOVQ 32(SP), BX
	MOVQ BX, 32(AX)
	MOVQ 40(SP), BX
	MOVQ BX, 40(AX)
	MOVQ 48(SP), BX
	MOVQ BX, 48(AX)
	MOVQ AX, SP
	MOVQ PerCPU_scratch(GS), AX
	MOVQ PerCPU_scratch2(GS), BX
	JMP trapcommon<>(SB)

// trapcommon saves the rest of the state and calls trapDispatch(frame).
TEXT trapcommon<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ AX
	PUSHQ BX
	PUSHQ CX
	PUSHQ BP
	PUSHQ R11
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
	PUSHQ R9
	PUSHQ R8
	PUSHQ R10
	PUSHQ DX
	PUSHQ SI
	PUSHQ DI
	SUBQ $16, SP
	MOVQ SP, R12

	// frame.FS = interrupted FS base; FS = kernel TLS.
	MOVL $MSR_FS_BASE, CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, TrapFrame_FS(R12)
	MOVQ PerCPU_ktls(GS), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR

	// Vector state below the frame.
	SUBQ PerCPU_xsaveSize(GS), SP
	ANDQ $~63, SP
	MOVQ SP, TrapFrame_XSave(R12)
	CMPB PerCPU_useXSave(GS), $0
	JEQ fxsave
	XORL AX, AX
	MOVQ AX, 512(SP)
	MOVQ AX, 520(SP)
	MOVQ AX, 528(SP)
	MOVQ AX, 536(SP)
	MOVQ AX, 544(SP)
	MOVQ AX, 552(SP)
	MOVQ AX, 560(SP)
	MOVQ AX, 568(SP)
	MOVL $-1, AX
	MOVL $-1, DX
	XSAVE64 (SP)
	JMP saved
fxsave:
	FXSAVE64 (SP)
saved:
	PUSHQ R12
	CLD
	CALL ·trapDispatch(SB)
	JMP ·trapret(SB)

// trapret restores the state saved by trapcommon and returns from the trap.
// On entry 0(SP) holds the frame pointer. New threads start here (see swtch).
TEXT ·trapret(SB),NOSPLIT|NOFRAME,$0
	POPQ R12
	MOVQ TrapFrame_XSave(R12), BX
	CMPB PerCPU_useXSave(GS), $0
	JEQ fxrstor
	MOVL $-1, AX
	MOVL $-1, DX
	XRSTOR64 (BX)
	JMP restored
fxrstor:
	FXRSTOR64 (BX)
restored:
	MOVQ TrapFrame_FS(R12), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $MSR_FS_BASE, CX
	WRMSR
	MOVQ R12, SP
	ADDQ $16, SP
	FRAME_RETURN

// swtch saves the current kernel context and resumes next.
// The caller's kernel stack pointer is stored in *save; next describes the
// thread to resume (its saved stack pointer and kernel stack bounds), which
// are installed in the per-CPU block and the kernel g before the stack changes.
TEXT ·swtch(SB),NOSPLIT|NOFRAME,$0-16
	MOVQ save+0(FP), AX
	MOVQ next+8(FP), BX
	PUSHQ BP
	MOVQ SP, 0(AX)
	MOVQ KContext_stackLo(BX), CX
	MOVQ CX, PerCPU_kstackLo(GS)
	MOVQ CX, PerCPU_kg+kernelG_lo(GS)
	ADDQ $const_stackGuard, CX
	MOVQ CX, PerCPU_kg+kernelG_guard0(GS)
	MOVQ CX, PerCPU_kg+kernelG_guard1(GS)
	MOVQ KContext_stackTop(BX), CX
	MOVQ CX, PerCPU_kstackTop(GS)
	MOVQ CX, PerCPU_kg+kernelG_hi(GS)
	MOVQ KContext_sp(BX), SP
	POPQ BP
	RET

// kthreadStart is where a new kernel-only thread (the idle loop) begins:
// 0(SP) = the Go func value to call (ABIInternal: DX = closure, R14 = g,
// X15 = 0).
TEXT ·kthreadStart(SB),NOSPLIT|NOFRAME,$0
	POPQ DX
	MOVQ (TLS), R14
	XORPS X15, X15
	MOVQ 0(DX), AX
	CALL AX
hang:
	HLT
	JMP hang

// Interrupt and exception stubs: vectorStubs holds 256 entries of 8 bytes,
// entry n at vectorStubs+8n. Vectors without a hardware error code push a
// zero first (so every frame has the same shape); every entry then calls
// stubcommon, whose return address tells the vector number. One symbol
// instead of 256 keeps the image small.
TEXT ·vectorStubs(SB),NOSPLIT|NOFRAME,$0
	BYTE $0x6A; BYTE $0x00 // vector 0: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 1: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 2: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 3: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 4: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 5: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 6: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 7: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 8 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 9: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 10 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 11 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 12 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 13 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 14 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 15: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 16: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 17 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 18: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 19: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 20: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 21 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 22: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 23: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 24: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 25: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 26: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 27: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 28: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 29 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x90; BYTE $0x90 // vector 30 (error code pushed by the CPU)
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 31: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 32: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 33: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 34: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 35: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 36: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 37: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 38: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 39: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 40: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 41: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 42: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 43: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 44: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 45: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 46: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 47: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 48: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 49: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 50: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 51: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 52: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 53: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 54: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 55: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 56: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 57: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 58: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 59: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 60: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 61: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 62: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 63: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 64: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 65: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 66: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 67: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 68: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 69: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 70: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 71: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 72: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 73: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 74: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 75: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 76: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 77: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 78: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 79: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 80: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 81: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 82: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 83: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 84: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 85: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 86: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 87: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 88: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 89: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 90: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 91: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 92: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 93: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 94: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 95: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 96: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 97: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 98: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 99: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 100: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 101: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 102: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 103: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 104: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 105: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 106: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 107: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 108: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 109: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 110: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 111: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 112: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 113: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 114: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 115: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 116: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 117: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 118: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 119: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 120: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 121: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 122: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 123: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 124: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 125: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 126: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 127: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 128: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 129: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 130: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 131: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 132: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 133: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 134: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 135: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 136: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 137: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 138: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 139: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 140: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 141: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 142: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 143: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 144: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 145: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 146: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 147: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 148: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 149: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 150: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 151: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 152: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 153: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 154: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 155: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 156: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 157: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 158: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 159: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 160: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 161: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 162: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 163: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 164: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 165: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 166: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 167: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 168: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 169: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 170: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 171: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 172: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 173: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 174: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 175: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 176: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 177: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 178: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 179: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 180: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 181: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 182: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 183: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 184: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 185: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 186: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 187: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 188: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 189: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 190: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 191: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 192: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 193: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 194: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 195: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 196: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 197: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 198: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 199: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 200: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 201: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 202: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 203: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 204: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 205: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 206: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 207: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 208: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 209: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 210: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 211: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 212: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 213: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 214: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 215: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 216: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 217: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 218: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 219: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 220: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 221: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 222: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 223: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 224: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 225: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 226: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 227: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 228: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 229: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 230: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 231: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 232: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 233: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 234: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 235: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 236: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 237: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 238: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 239: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 240: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 241: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 242: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 243: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 244: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 245: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 246: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 247: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 248: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 249: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 250: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 251: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 252: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 253: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 254: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90
	BYTE $0x6A; BYTE $0x00 // vector 255: pushq $0
	CALL stubcommon<>(SB)
	BYTE $0x90

// stubcommon replaces the return address pushed by a stub's CALL with the
// vector number, (ret - vectorStubs - 7) / 8, and continues in istcommon.
TEXT stubcommon<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ AX, PerCPU_scratch(GS)
	MOVQ BX, PerCPU_scratch2(GS)
	MOVQ 0(SP), AX
	LEAQ ·vectorStubs(SB), BX
	SUBQ BX, AX
	SUBQ $7, AX
	SHRQ $3, AX
	MOVQ AX, 0(SP)
	MOVQ PerCPU_scratch(GS), AX
	MOVQ PerCPU_scratch2(GS), BX
	JMP istcommon<>(SB)

// vectorTable returns the address of the first stub; stub n is at +8n.
TEXT ·vectorTable(SB),NOSPLIT,$0-8
	LEAQ ·vectorStubs(SB), AX
	MOVQ AX, ret+0(FP)
	RET
