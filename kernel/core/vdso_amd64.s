// The vDSO's clock_gettime (vdso.go): C calling convention, as the Go
// runtime calls __vdso_clock_gettime (DI = clock id, SI = struct timespec
// pointer, result in AX). It runs in the program's context on whatever
// stack the caller uses and touches only caller-saved registers.

#include "textflag.h"

#define SYS_clock_gettime 228

// func vdsoClockGettime() (not callable from Go)
TEXT ·vdsoClockGettime(SB),NOSPLIT|NOFRAME,$0
	// CLOCK_MONOTONIC (1) first: it is the runtime's nanotime.
	CMPQ DI, $1
	JNE  notmono
	// ns = (TSC - tscBase) * tscMult >> 32 as one 128-bit product:
	// nanotime's arithmetic (time.go), bit for bit.
	RDTSC
	SHLQ  $32, DX
	ORQ   DX, AX
	SUBQ  ·tscBase(SB), AX
	MULQ  ·tscMult(SB)
	SHRQ  $32, DX, AX
	XORL  DX, DX
	DIVQ  ·vdsoNsPerSec(SB)
	MOVQ  AX, 0(SI) // tv_sec
	MOVQ  DX, 8(SI) // tv_nsec
	XORL  AX, AX
	RET

now:
	// The same, plus the offset in R8.
	RDTSC
	SHLQ  $32, DX
	ORQ   DX, AX
	SUBQ  ·tscBase(SB), AX
	MULQ  ·tscMult(SB)
	SHRQ  $32, DX, AX
	ADDQ  R8, AX
	XORL  DX, DX
	DIVQ  ·vdsoNsPerSec(SB)
	MOVQ  AX, 0(SI) // tv_sec
	MOVQ  DX, 8(SI) // tv_nsec
	XORL  AX, AX
	RET

notmono:
	// CLOCK_REALTIME (0), CLOCK_REALTIME_COARSE (5), CLOCK_TAI (11)
	MOVQ ·bootEpoch(SB), R8
	CMPQ DI, $0
	JEQ  now
	CMPQ DI, $5
	JEQ  now
	CMPQ DI, $11
	JEQ  now
	// CLOCK_MONOTONIC_RAW (4), _COARSE (6), CLOCK_BOOTTIME (7)
	XORL R8, R8
	CMPQ DI, $4
	JEQ  now
	CMPQ DI, $6
	JEQ  now
	CMPQ DI, $7
	JEQ  now
	// Anything else is the system call's business.
	MOVQ $SYS_clock_gettime, AX
	SYSCALL
	RET

// func vdsoClockGettimeAddr() uintptr
TEXT ·vdsoClockGettimeAddr(SB),NOSPLIT,$0-8
	LEAQ ·vdsoClockGettime(SB), AX
	MOVQ AX, ret+0(FP)
	RET
