// Trap entry and exit. See docs/adr/0001-execution-model.md.
//
// Every entry builds a TrapFrame on the current thread's kernel stack:
//   SS RSP RFLAGS CS RIP ErrCode Vector RAX..R15 FS XSave   (high -> low)
// then the vector state (XSAVE/FXSAVE) below it, 64-byte aligned, then one
// word holding the frame pointer, which is both the argument of trapDispatch
// and what trapret pops.

#include "go_asm.h"
#include "textflag.h"

#define MSR_FS_BASE 0xC0000100

// syscallEntry is the LSTAR target. SYSCALL at CPL0: RCX = return RIP,
// R11 = RFLAGS, IF cleared by SFMASK, RSP still the program's.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, PerCPU_scratch(GS)
	MOVQ PerCPU_kstackTop(GS), SP
	PUSHQ $const_KernelDS
	PUSHQ PerCPU_scratch(GS)
	PUSHQ R11
	PUSHQ $const_KernelCS
	PUSHQ CX
	PUSHQ $0
	PUSHQ $const_VectorSyscall
	JMP trapcommon<>(SB)

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
	PUSHQ DX
	PUSHQ SI
	PUSHQ DI
	PUSHQ BP
	PUSHQ R8
	PUSHQ R9
	PUSHQ R10
	PUSHQ R11
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
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
	POPQ R15
	POPQ R14
	POPQ R13
	POPQ R12
	POPQ R11
	POPQ R10
	POPQ R9
	POPQ R8
	POPQ BP
	POPQ DI
	POPQ SI
	POPQ DX
	POPQ CX
	POPQ BX
	POPQ AX
	ADDQ $16, SP
	IRETQ

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

// Interrupt and exception stubs, one per vector. Vectors that push an error
// code (8, 10-14, 17, 21, 29, 30) get only the vector pushed; the others a zero
// error code first, so every frame has the same shape.
TEXT vec0<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $0
	JMP istcommon<>(SB)
TEXT vec1<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $1
	JMP istcommon<>(SB)
TEXT vec2<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $2
	JMP istcommon<>(SB)
TEXT vec3<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $3
	JMP istcommon<>(SB)
TEXT vec4<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $4
	JMP istcommon<>(SB)
TEXT vec5<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $5
	JMP istcommon<>(SB)
TEXT vec6<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $6
	JMP istcommon<>(SB)
TEXT vec7<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $7
	JMP istcommon<>(SB)
TEXT vec8<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $8
	JMP istcommon<>(SB)
TEXT vec9<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $9
	JMP istcommon<>(SB)
TEXT vec10<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $10
	JMP istcommon<>(SB)
TEXT vec11<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $11
	JMP istcommon<>(SB)
TEXT vec12<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $12
	JMP istcommon<>(SB)
TEXT vec13<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $13
	JMP istcommon<>(SB)
TEXT vec14<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $14
	JMP istcommon<>(SB)
TEXT vec15<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $15
	JMP istcommon<>(SB)
TEXT vec16<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $16
	JMP istcommon<>(SB)
TEXT vec17<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $17
	JMP istcommon<>(SB)
TEXT vec18<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $18
	JMP istcommon<>(SB)
TEXT vec19<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $19
	JMP istcommon<>(SB)
TEXT vec20<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $20
	JMP istcommon<>(SB)
TEXT vec21<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $21
	JMP istcommon<>(SB)
TEXT vec22<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $22
	JMP istcommon<>(SB)
TEXT vec23<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $23
	JMP istcommon<>(SB)
TEXT vec24<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $24
	JMP istcommon<>(SB)
TEXT vec25<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $25
	JMP istcommon<>(SB)
TEXT vec26<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $26
	JMP istcommon<>(SB)
TEXT vec27<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $27
	JMP istcommon<>(SB)
TEXT vec28<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $28
	JMP istcommon<>(SB)
TEXT vec29<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $29
	JMP istcommon<>(SB)
TEXT vec30<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $30
	JMP istcommon<>(SB)
TEXT vec31<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $31
	JMP istcommon<>(SB)
TEXT vec32<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $32
	JMP istcommon<>(SB)
TEXT vec33<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $33
	JMP istcommon<>(SB)
TEXT vec34<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $34
	JMP istcommon<>(SB)
TEXT vec35<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $35
	JMP istcommon<>(SB)
TEXT vec36<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $36
	JMP istcommon<>(SB)
TEXT vec37<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $37
	JMP istcommon<>(SB)
TEXT vec38<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $38
	JMP istcommon<>(SB)
TEXT vec39<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $39
	JMP istcommon<>(SB)
TEXT vec40<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $40
	JMP istcommon<>(SB)
TEXT vec41<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $41
	JMP istcommon<>(SB)
TEXT vec42<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $42
	JMP istcommon<>(SB)
TEXT vec43<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $43
	JMP istcommon<>(SB)
TEXT vec44<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $44
	JMP istcommon<>(SB)
TEXT vec45<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $45
	JMP istcommon<>(SB)
TEXT vec46<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $46
	JMP istcommon<>(SB)
TEXT vec47<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $47
	JMP istcommon<>(SB)
TEXT vec48<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $48
	JMP istcommon<>(SB)
TEXT vec49<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $49
	JMP istcommon<>(SB)
TEXT vec50<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $50
	JMP istcommon<>(SB)
TEXT vec51<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $51
	JMP istcommon<>(SB)
TEXT vec52<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $52
	JMP istcommon<>(SB)
TEXT vec53<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $53
	JMP istcommon<>(SB)
TEXT vec54<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $54
	JMP istcommon<>(SB)
TEXT vec55<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $55
	JMP istcommon<>(SB)
TEXT vec56<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $56
	JMP istcommon<>(SB)
TEXT vec57<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $57
	JMP istcommon<>(SB)
TEXT vec58<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $58
	JMP istcommon<>(SB)
TEXT vec59<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $59
	JMP istcommon<>(SB)
TEXT vec60<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $60
	JMP istcommon<>(SB)
TEXT vec61<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $61
	JMP istcommon<>(SB)
TEXT vec62<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $62
	JMP istcommon<>(SB)
TEXT vec63<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $63
	JMP istcommon<>(SB)
TEXT vec64<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $64
	JMP istcommon<>(SB)
TEXT vec65<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $65
	JMP istcommon<>(SB)
TEXT vec66<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $66
	JMP istcommon<>(SB)
TEXT vec67<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $67
	JMP istcommon<>(SB)
TEXT vec68<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $68
	JMP istcommon<>(SB)
TEXT vec69<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $69
	JMP istcommon<>(SB)
TEXT vec70<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $70
	JMP istcommon<>(SB)
TEXT vec71<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $71
	JMP istcommon<>(SB)
TEXT vec72<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $72
	JMP istcommon<>(SB)
TEXT vec73<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $73
	JMP istcommon<>(SB)
TEXT vec74<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $74
	JMP istcommon<>(SB)
TEXT vec75<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $75
	JMP istcommon<>(SB)
TEXT vec76<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $76
	JMP istcommon<>(SB)
TEXT vec77<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $77
	JMP istcommon<>(SB)
TEXT vec78<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $78
	JMP istcommon<>(SB)
TEXT vec79<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $79
	JMP istcommon<>(SB)
TEXT vec80<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $80
	JMP istcommon<>(SB)
TEXT vec81<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $81
	JMP istcommon<>(SB)
TEXT vec82<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $82
	JMP istcommon<>(SB)
TEXT vec83<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $83
	JMP istcommon<>(SB)
TEXT vec84<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $84
	JMP istcommon<>(SB)
TEXT vec85<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $85
	JMP istcommon<>(SB)
TEXT vec86<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $86
	JMP istcommon<>(SB)
TEXT vec87<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $87
	JMP istcommon<>(SB)
TEXT vec88<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $88
	JMP istcommon<>(SB)
TEXT vec89<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $89
	JMP istcommon<>(SB)
TEXT vec90<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $90
	JMP istcommon<>(SB)
TEXT vec91<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $91
	JMP istcommon<>(SB)
TEXT vec92<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $92
	JMP istcommon<>(SB)
TEXT vec93<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $93
	JMP istcommon<>(SB)
TEXT vec94<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $94
	JMP istcommon<>(SB)
TEXT vec95<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $95
	JMP istcommon<>(SB)
TEXT vec96<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $96
	JMP istcommon<>(SB)
TEXT vec97<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $97
	JMP istcommon<>(SB)
TEXT vec98<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $98
	JMP istcommon<>(SB)
TEXT vec99<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $99
	JMP istcommon<>(SB)
TEXT vec100<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $100
	JMP istcommon<>(SB)
TEXT vec101<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $101
	JMP istcommon<>(SB)
TEXT vec102<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $102
	JMP istcommon<>(SB)
TEXT vec103<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $103
	JMP istcommon<>(SB)
TEXT vec104<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $104
	JMP istcommon<>(SB)
TEXT vec105<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $105
	JMP istcommon<>(SB)
TEXT vec106<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $106
	JMP istcommon<>(SB)
TEXT vec107<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $107
	JMP istcommon<>(SB)
TEXT vec108<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $108
	JMP istcommon<>(SB)
TEXT vec109<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $109
	JMP istcommon<>(SB)
TEXT vec110<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $110
	JMP istcommon<>(SB)
TEXT vec111<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $111
	JMP istcommon<>(SB)
TEXT vec112<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $112
	JMP istcommon<>(SB)
TEXT vec113<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $113
	JMP istcommon<>(SB)
TEXT vec114<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $114
	JMP istcommon<>(SB)
TEXT vec115<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $115
	JMP istcommon<>(SB)
TEXT vec116<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $116
	JMP istcommon<>(SB)
TEXT vec117<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $117
	JMP istcommon<>(SB)
TEXT vec118<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $118
	JMP istcommon<>(SB)
TEXT vec119<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $119
	JMP istcommon<>(SB)
TEXT vec120<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $120
	JMP istcommon<>(SB)
TEXT vec121<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $121
	JMP istcommon<>(SB)
TEXT vec122<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $122
	JMP istcommon<>(SB)
TEXT vec123<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $123
	JMP istcommon<>(SB)
TEXT vec124<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $124
	JMP istcommon<>(SB)
TEXT vec125<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $125
	JMP istcommon<>(SB)
TEXT vec126<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $126
	JMP istcommon<>(SB)
TEXT vec127<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $127
	JMP istcommon<>(SB)
TEXT vec128<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $128
	JMP istcommon<>(SB)
TEXT vec129<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $129
	JMP istcommon<>(SB)
TEXT vec130<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $130
	JMP istcommon<>(SB)
TEXT vec131<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $131
	JMP istcommon<>(SB)
TEXT vec132<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $132
	JMP istcommon<>(SB)
TEXT vec133<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $133
	JMP istcommon<>(SB)
TEXT vec134<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $134
	JMP istcommon<>(SB)
TEXT vec135<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $135
	JMP istcommon<>(SB)
TEXT vec136<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $136
	JMP istcommon<>(SB)
TEXT vec137<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $137
	JMP istcommon<>(SB)
TEXT vec138<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $138
	JMP istcommon<>(SB)
TEXT vec139<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $139
	JMP istcommon<>(SB)
TEXT vec140<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $140
	JMP istcommon<>(SB)
TEXT vec141<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $141
	JMP istcommon<>(SB)
TEXT vec142<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $142
	JMP istcommon<>(SB)
TEXT vec143<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $143
	JMP istcommon<>(SB)
TEXT vec144<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $144
	JMP istcommon<>(SB)
TEXT vec145<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $145
	JMP istcommon<>(SB)
TEXT vec146<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $146
	JMP istcommon<>(SB)
TEXT vec147<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $147
	JMP istcommon<>(SB)
TEXT vec148<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $148
	JMP istcommon<>(SB)
TEXT vec149<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $149
	JMP istcommon<>(SB)
TEXT vec150<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $150
	JMP istcommon<>(SB)
TEXT vec151<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $151
	JMP istcommon<>(SB)
TEXT vec152<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $152
	JMP istcommon<>(SB)
TEXT vec153<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $153
	JMP istcommon<>(SB)
TEXT vec154<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $154
	JMP istcommon<>(SB)
TEXT vec155<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $155
	JMP istcommon<>(SB)
TEXT vec156<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $156
	JMP istcommon<>(SB)
TEXT vec157<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $157
	JMP istcommon<>(SB)
TEXT vec158<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $158
	JMP istcommon<>(SB)
TEXT vec159<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $159
	JMP istcommon<>(SB)
TEXT vec160<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $160
	JMP istcommon<>(SB)
TEXT vec161<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $161
	JMP istcommon<>(SB)
TEXT vec162<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $162
	JMP istcommon<>(SB)
TEXT vec163<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $163
	JMP istcommon<>(SB)
TEXT vec164<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $164
	JMP istcommon<>(SB)
TEXT vec165<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $165
	JMP istcommon<>(SB)
TEXT vec166<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $166
	JMP istcommon<>(SB)
TEXT vec167<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $167
	JMP istcommon<>(SB)
TEXT vec168<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $168
	JMP istcommon<>(SB)
TEXT vec169<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $169
	JMP istcommon<>(SB)
TEXT vec170<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $170
	JMP istcommon<>(SB)
TEXT vec171<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $171
	JMP istcommon<>(SB)
TEXT vec172<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $172
	JMP istcommon<>(SB)
TEXT vec173<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $173
	JMP istcommon<>(SB)
TEXT vec174<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $174
	JMP istcommon<>(SB)
TEXT vec175<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $175
	JMP istcommon<>(SB)
TEXT vec176<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $176
	JMP istcommon<>(SB)
TEXT vec177<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $177
	JMP istcommon<>(SB)
TEXT vec178<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $178
	JMP istcommon<>(SB)
TEXT vec179<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $179
	JMP istcommon<>(SB)
TEXT vec180<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $180
	JMP istcommon<>(SB)
TEXT vec181<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $181
	JMP istcommon<>(SB)
TEXT vec182<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $182
	JMP istcommon<>(SB)
TEXT vec183<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $183
	JMP istcommon<>(SB)
TEXT vec184<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $184
	JMP istcommon<>(SB)
TEXT vec185<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $185
	JMP istcommon<>(SB)
TEXT vec186<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $186
	JMP istcommon<>(SB)
TEXT vec187<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $187
	JMP istcommon<>(SB)
TEXT vec188<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $188
	JMP istcommon<>(SB)
TEXT vec189<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $189
	JMP istcommon<>(SB)
TEXT vec190<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $190
	JMP istcommon<>(SB)
TEXT vec191<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $191
	JMP istcommon<>(SB)
TEXT vec192<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $192
	JMP istcommon<>(SB)
TEXT vec193<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $193
	JMP istcommon<>(SB)
TEXT vec194<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $194
	JMP istcommon<>(SB)
TEXT vec195<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $195
	JMP istcommon<>(SB)
TEXT vec196<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $196
	JMP istcommon<>(SB)
TEXT vec197<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $197
	JMP istcommon<>(SB)
TEXT vec198<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $198
	JMP istcommon<>(SB)
TEXT vec199<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $199
	JMP istcommon<>(SB)
TEXT vec200<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $200
	JMP istcommon<>(SB)
TEXT vec201<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $201
	JMP istcommon<>(SB)
TEXT vec202<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $202
	JMP istcommon<>(SB)
TEXT vec203<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $203
	JMP istcommon<>(SB)
TEXT vec204<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $204
	JMP istcommon<>(SB)
TEXT vec205<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $205
	JMP istcommon<>(SB)
TEXT vec206<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $206
	JMP istcommon<>(SB)
TEXT vec207<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $207
	JMP istcommon<>(SB)
TEXT vec208<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $208
	JMP istcommon<>(SB)
TEXT vec209<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $209
	JMP istcommon<>(SB)
TEXT vec210<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $210
	JMP istcommon<>(SB)
TEXT vec211<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $211
	JMP istcommon<>(SB)
TEXT vec212<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $212
	JMP istcommon<>(SB)
TEXT vec213<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $213
	JMP istcommon<>(SB)
TEXT vec214<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $214
	JMP istcommon<>(SB)
TEXT vec215<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $215
	JMP istcommon<>(SB)
TEXT vec216<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $216
	JMP istcommon<>(SB)
TEXT vec217<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $217
	JMP istcommon<>(SB)
TEXT vec218<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $218
	JMP istcommon<>(SB)
TEXT vec219<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $219
	JMP istcommon<>(SB)
TEXT vec220<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $220
	JMP istcommon<>(SB)
TEXT vec221<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $221
	JMP istcommon<>(SB)
TEXT vec222<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $222
	JMP istcommon<>(SB)
TEXT vec223<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $223
	JMP istcommon<>(SB)
TEXT vec224<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $224
	JMP istcommon<>(SB)
TEXT vec225<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $225
	JMP istcommon<>(SB)
TEXT vec226<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $226
	JMP istcommon<>(SB)
TEXT vec227<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $227
	JMP istcommon<>(SB)
TEXT vec228<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $228
	JMP istcommon<>(SB)
TEXT vec229<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $229
	JMP istcommon<>(SB)
TEXT vec230<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $230
	JMP istcommon<>(SB)
TEXT vec231<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $231
	JMP istcommon<>(SB)
TEXT vec232<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $232
	JMP istcommon<>(SB)
TEXT vec233<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $233
	JMP istcommon<>(SB)
TEXT vec234<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $234
	JMP istcommon<>(SB)
TEXT vec235<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $235
	JMP istcommon<>(SB)
TEXT vec236<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $236
	JMP istcommon<>(SB)
TEXT vec237<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $237
	JMP istcommon<>(SB)
TEXT vec238<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $238
	JMP istcommon<>(SB)
TEXT vec239<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $239
	JMP istcommon<>(SB)
TEXT vec240<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $240
	JMP istcommon<>(SB)
TEXT vec241<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $241
	JMP istcommon<>(SB)
TEXT vec242<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $242
	JMP istcommon<>(SB)
TEXT vec243<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $243
	JMP istcommon<>(SB)
TEXT vec244<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $244
	JMP istcommon<>(SB)
TEXT vec245<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $245
	JMP istcommon<>(SB)
TEXT vec246<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $246
	JMP istcommon<>(SB)
TEXT vec247<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $247
	JMP istcommon<>(SB)
TEXT vec248<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $248
	JMP istcommon<>(SB)
TEXT vec249<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $249
	JMP istcommon<>(SB)
TEXT vec250<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $250
	JMP istcommon<>(SB)
TEXT vec251<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $251
	JMP istcommon<>(SB)
TEXT vec252<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $252
	JMP istcommon<>(SB)
TEXT vec253<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $253
	JMP istcommon<>(SB)
TEXT vec254<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $254
	JMP istcommon<>(SB)
TEXT vec255<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ $0
	PUSHQ $255
	JMP istcommon<>(SB)

// vectorTable returns the address of a table of the 256 stub addresses.
TEXT ·vectorTable(SB),NOSPLIT,$0-8
	LEAQ vectors<>(SB), AX
	MOVQ AX, ret+0(FP)
	RET

DATA vectors<>+0(SB)/8, $vec0<>(SB)
DATA vectors<>+8(SB)/8, $vec1<>(SB)
DATA vectors<>+16(SB)/8, $vec2<>(SB)
DATA vectors<>+24(SB)/8, $vec3<>(SB)
DATA vectors<>+32(SB)/8, $vec4<>(SB)
DATA vectors<>+40(SB)/8, $vec5<>(SB)
DATA vectors<>+48(SB)/8, $vec6<>(SB)
DATA vectors<>+56(SB)/8, $vec7<>(SB)
DATA vectors<>+64(SB)/8, $vec8<>(SB)
DATA vectors<>+72(SB)/8, $vec9<>(SB)
DATA vectors<>+80(SB)/8, $vec10<>(SB)
DATA vectors<>+88(SB)/8, $vec11<>(SB)
DATA vectors<>+96(SB)/8, $vec12<>(SB)
DATA vectors<>+104(SB)/8, $vec13<>(SB)
DATA vectors<>+112(SB)/8, $vec14<>(SB)
DATA vectors<>+120(SB)/8, $vec15<>(SB)
DATA vectors<>+128(SB)/8, $vec16<>(SB)
DATA vectors<>+136(SB)/8, $vec17<>(SB)
DATA vectors<>+144(SB)/8, $vec18<>(SB)
DATA vectors<>+152(SB)/8, $vec19<>(SB)
DATA vectors<>+160(SB)/8, $vec20<>(SB)
DATA vectors<>+168(SB)/8, $vec21<>(SB)
DATA vectors<>+176(SB)/8, $vec22<>(SB)
DATA vectors<>+184(SB)/8, $vec23<>(SB)
DATA vectors<>+192(SB)/8, $vec24<>(SB)
DATA vectors<>+200(SB)/8, $vec25<>(SB)
DATA vectors<>+208(SB)/8, $vec26<>(SB)
DATA vectors<>+216(SB)/8, $vec27<>(SB)
DATA vectors<>+224(SB)/8, $vec28<>(SB)
DATA vectors<>+232(SB)/8, $vec29<>(SB)
DATA vectors<>+240(SB)/8, $vec30<>(SB)
DATA vectors<>+248(SB)/8, $vec31<>(SB)
DATA vectors<>+256(SB)/8, $vec32<>(SB)
DATA vectors<>+264(SB)/8, $vec33<>(SB)
DATA vectors<>+272(SB)/8, $vec34<>(SB)
DATA vectors<>+280(SB)/8, $vec35<>(SB)
DATA vectors<>+288(SB)/8, $vec36<>(SB)
DATA vectors<>+296(SB)/8, $vec37<>(SB)
DATA vectors<>+304(SB)/8, $vec38<>(SB)
DATA vectors<>+312(SB)/8, $vec39<>(SB)
DATA vectors<>+320(SB)/8, $vec40<>(SB)
DATA vectors<>+328(SB)/8, $vec41<>(SB)
DATA vectors<>+336(SB)/8, $vec42<>(SB)
DATA vectors<>+344(SB)/8, $vec43<>(SB)
DATA vectors<>+352(SB)/8, $vec44<>(SB)
DATA vectors<>+360(SB)/8, $vec45<>(SB)
DATA vectors<>+368(SB)/8, $vec46<>(SB)
DATA vectors<>+376(SB)/8, $vec47<>(SB)
DATA vectors<>+384(SB)/8, $vec48<>(SB)
DATA vectors<>+392(SB)/8, $vec49<>(SB)
DATA vectors<>+400(SB)/8, $vec50<>(SB)
DATA vectors<>+408(SB)/8, $vec51<>(SB)
DATA vectors<>+416(SB)/8, $vec52<>(SB)
DATA vectors<>+424(SB)/8, $vec53<>(SB)
DATA vectors<>+432(SB)/8, $vec54<>(SB)
DATA vectors<>+440(SB)/8, $vec55<>(SB)
DATA vectors<>+448(SB)/8, $vec56<>(SB)
DATA vectors<>+456(SB)/8, $vec57<>(SB)
DATA vectors<>+464(SB)/8, $vec58<>(SB)
DATA vectors<>+472(SB)/8, $vec59<>(SB)
DATA vectors<>+480(SB)/8, $vec60<>(SB)
DATA vectors<>+488(SB)/8, $vec61<>(SB)
DATA vectors<>+496(SB)/8, $vec62<>(SB)
DATA vectors<>+504(SB)/8, $vec63<>(SB)
DATA vectors<>+512(SB)/8, $vec64<>(SB)
DATA vectors<>+520(SB)/8, $vec65<>(SB)
DATA vectors<>+528(SB)/8, $vec66<>(SB)
DATA vectors<>+536(SB)/8, $vec67<>(SB)
DATA vectors<>+544(SB)/8, $vec68<>(SB)
DATA vectors<>+552(SB)/8, $vec69<>(SB)
DATA vectors<>+560(SB)/8, $vec70<>(SB)
DATA vectors<>+568(SB)/8, $vec71<>(SB)
DATA vectors<>+576(SB)/8, $vec72<>(SB)
DATA vectors<>+584(SB)/8, $vec73<>(SB)
DATA vectors<>+592(SB)/8, $vec74<>(SB)
DATA vectors<>+600(SB)/8, $vec75<>(SB)
DATA vectors<>+608(SB)/8, $vec76<>(SB)
DATA vectors<>+616(SB)/8, $vec77<>(SB)
DATA vectors<>+624(SB)/8, $vec78<>(SB)
DATA vectors<>+632(SB)/8, $vec79<>(SB)
DATA vectors<>+640(SB)/8, $vec80<>(SB)
DATA vectors<>+648(SB)/8, $vec81<>(SB)
DATA vectors<>+656(SB)/8, $vec82<>(SB)
DATA vectors<>+664(SB)/8, $vec83<>(SB)
DATA vectors<>+672(SB)/8, $vec84<>(SB)
DATA vectors<>+680(SB)/8, $vec85<>(SB)
DATA vectors<>+688(SB)/8, $vec86<>(SB)
DATA vectors<>+696(SB)/8, $vec87<>(SB)
DATA vectors<>+704(SB)/8, $vec88<>(SB)
DATA vectors<>+712(SB)/8, $vec89<>(SB)
DATA vectors<>+720(SB)/8, $vec90<>(SB)
DATA vectors<>+728(SB)/8, $vec91<>(SB)
DATA vectors<>+736(SB)/8, $vec92<>(SB)
DATA vectors<>+744(SB)/8, $vec93<>(SB)
DATA vectors<>+752(SB)/8, $vec94<>(SB)
DATA vectors<>+760(SB)/8, $vec95<>(SB)
DATA vectors<>+768(SB)/8, $vec96<>(SB)
DATA vectors<>+776(SB)/8, $vec97<>(SB)
DATA vectors<>+784(SB)/8, $vec98<>(SB)
DATA vectors<>+792(SB)/8, $vec99<>(SB)
DATA vectors<>+800(SB)/8, $vec100<>(SB)
DATA vectors<>+808(SB)/8, $vec101<>(SB)
DATA vectors<>+816(SB)/8, $vec102<>(SB)
DATA vectors<>+824(SB)/8, $vec103<>(SB)
DATA vectors<>+832(SB)/8, $vec104<>(SB)
DATA vectors<>+840(SB)/8, $vec105<>(SB)
DATA vectors<>+848(SB)/8, $vec106<>(SB)
DATA vectors<>+856(SB)/8, $vec107<>(SB)
DATA vectors<>+864(SB)/8, $vec108<>(SB)
DATA vectors<>+872(SB)/8, $vec109<>(SB)
DATA vectors<>+880(SB)/8, $vec110<>(SB)
DATA vectors<>+888(SB)/8, $vec111<>(SB)
DATA vectors<>+896(SB)/8, $vec112<>(SB)
DATA vectors<>+904(SB)/8, $vec113<>(SB)
DATA vectors<>+912(SB)/8, $vec114<>(SB)
DATA vectors<>+920(SB)/8, $vec115<>(SB)
DATA vectors<>+928(SB)/8, $vec116<>(SB)
DATA vectors<>+936(SB)/8, $vec117<>(SB)
DATA vectors<>+944(SB)/8, $vec118<>(SB)
DATA vectors<>+952(SB)/8, $vec119<>(SB)
DATA vectors<>+960(SB)/8, $vec120<>(SB)
DATA vectors<>+968(SB)/8, $vec121<>(SB)
DATA vectors<>+976(SB)/8, $vec122<>(SB)
DATA vectors<>+984(SB)/8, $vec123<>(SB)
DATA vectors<>+992(SB)/8, $vec124<>(SB)
DATA vectors<>+1000(SB)/8, $vec125<>(SB)
DATA vectors<>+1008(SB)/8, $vec126<>(SB)
DATA vectors<>+1016(SB)/8, $vec127<>(SB)
DATA vectors<>+1024(SB)/8, $vec128<>(SB)
DATA vectors<>+1032(SB)/8, $vec129<>(SB)
DATA vectors<>+1040(SB)/8, $vec130<>(SB)
DATA vectors<>+1048(SB)/8, $vec131<>(SB)
DATA vectors<>+1056(SB)/8, $vec132<>(SB)
DATA vectors<>+1064(SB)/8, $vec133<>(SB)
DATA vectors<>+1072(SB)/8, $vec134<>(SB)
DATA vectors<>+1080(SB)/8, $vec135<>(SB)
DATA vectors<>+1088(SB)/8, $vec136<>(SB)
DATA vectors<>+1096(SB)/8, $vec137<>(SB)
DATA vectors<>+1104(SB)/8, $vec138<>(SB)
DATA vectors<>+1112(SB)/8, $vec139<>(SB)
DATA vectors<>+1120(SB)/8, $vec140<>(SB)
DATA vectors<>+1128(SB)/8, $vec141<>(SB)
DATA vectors<>+1136(SB)/8, $vec142<>(SB)
DATA vectors<>+1144(SB)/8, $vec143<>(SB)
DATA vectors<>+1152(SB)/8, $vec144<>(SB)
DATA vectors<>+1160(SB)/8, $vec145<>(SB)
DATA vectors<>+1168(SB)/8, $vec146<>(SB)
DATA vectors<>+1176(SB)/8, $vec147<>(SB)
DATA vectors<>+1184(SB)/8, $vec148<>(SB)
DATA vectors<>+1192(SB)/8, $vec149<>(SB)
DATA vectors<>+1200(SB)/8, $vec150<>(SB)
DATA vectors<>+1208(SB)/8, $vec151<>(SB)
DATA vectors<>+1216(SB)/8, $vec152<>(SB)
DATA vectors<>+1224(SB)/8, $vec153<>(SB)
DATA vectors<>+1232(SB)/8, $vec154<>(SB)
DATA vectors<>+1240(SB)/8, $vec155<>(SB)
DATA vectors<>+1248(SB)/8, $vec156<>(SB)
DATA vectors<>+1256(SB)/8, $vec157<>(SB)
DATA vectors<>+1264(SB)/8, $vec158<>(SB)
DATA vectors<>+1272(SB)/8, $vec159<>(SB)
DATA vectors<>+1280(SB)/8, $vec160<>(SB)
DATA vectors<>+1288(SB)/8, $vec161<>(SB)
DATA vectors<>+1296(SB)/8, $vec162<>(SB)
DATA vectors<>+1304(SB)/8, $vec163<>(SB)
DATA vectors<>+1312(SB)/8, $vec164<>(SB)
DATA vectors<>+1320(SB)/8, $vec165<>(SB)
DATA vectors<>+1328(SB)/8, $vec166<>(SB)
DATA vectors<>+1336(SB)/8, $vec167<>(SB)
DATA vectors<>+1344(SB)/8, $vec168<>(SB)
DATA vectors<>+1352(SB)/8, $vec169<>(SB)
DATA vectors<>+1360(SB)/8, $vec170<>(SB)
DATA vectors<>+1368(SB)/8, $vec171<>(SB)
DATA vectors<>+1376(SB)/8, $vec172<>(SB)
DATA vectors<>+1384(SB)/8, $vec173<>(SB)
DATA vectors<>+1392(SB)/8, $vec174<>(SB)
DATA vectors<>+1400(SB)/8, $vec175<>(SB)
DATA vectors<>+1408(SB)/8, $vec176<>(SB)
DATA vectors<>+1416(SB)/8, $vec177<>(SB)
DATA vectors<>+1424(SB)/8, $vec178<>(SB)
DATA vectors<>+1432(SB)/8, $vec179<>(SB)
DATA vectors<>+1440(SB)/8, $vec180<>(SB)
DATA vectors<>+1448(SB)/8, $vec181<>(SB)
DATA vectors<>+1456(SB)/8, $vec182<>(SB)
DATA vectors<>+1464(SB)/8, $vec183<>(SB)
DATA vectors<>+1472(SB)/8, $vec184<>(SB)
DATA vectors<>+1480(SB)/8, $vec185<>(SB)
DATA vectors<>+1488(SB)/8, $vec186<>(SB)
DATA vectors<>+1496(SB)/8, $vec187<>(SB)
DATA vectors<>+1504(SB)/8, $vec188<>(SB)
DATA vectors<>+1512(SB)/8, $vec189<>(SB)
DATA vectors<>+1520(SB)/8, $vec190<>(SB)
DATA vectors<>+1528(SB)/8, $vec191<>(SB)
DATA vectors<>+1536(SB)/8, $vec192<>(SB)
DATA vectors<>+1544(SB)/8, $vec193<>(SB)
DATA vectors<>+1552(SB)/8, $vec194<>(SB)
DATA vectors<>+1560(SB)/8, $vec195<>(SB)
DATA vectors<>+1568(SB)/8, $vec196<>(SB)
DATA vectors<>+1576(SB)/8, $vec197<>(SB)
DATA vectors<>+1584(SB)/8, $vec198<>(SB)
DATA vectors<>+1592(SB)/8, $vec199<>(SB)
DATA vectors<>+1600(SB)/8, $vec200<>(SB)
DATA vectors<>+1608(SB)/8, $vec201<>(SB)
DATA vectors<>+1616(SB)/8, $vec202<>(SB)
DATA vectors<>+1624(SB)/8, $vec203<>(SB)
DATA vectors<>+1632(SB)/8, $vec204<>(SB)
DATA vectors<>+1640(SB)/8, $vec205<>(SB)
DATA vectors<>+1648(SB)/8, $vec206<>(SB)
DATA vectors<>+1656(SB)/8, $vec207<>(SB)
DATA vectors<>+1664(SB)/8, $vec208<>(SB)
DATA vectors<>+1672(SB)/8, $vec209<>(SB)
DATA vectors<>+1680(SB)/8, $vec210<>(SB)
DATA vectors<>+1688(SB)/8, $vec211<>(SB)
DATA vectors<>+1696(SB)/8, $vec212<>(SB)
DATA vectors<>+1704(SB)/8, $vec213<>(SB)
DATA vectors<>+1712(SB)/8, $vec214<>(SB)
DATA vectors<>+1720(SB)/8, $vec215<>(SB)
DATA vectors<>+1728(SB)/8, $vec216<>(SB)
DATA vectors<>+1736(SB)/8, $vec217<>(SB)
DATA vectors<>+1744(SB)/8, $vec218<>(SB)
DATA vectors<>+1752(SB)/8, $vec219<>(SB)
DATA vectors<>+1760(SB)/8, $vec220<>(SB)
DATA vectors<>+1768(SB)/8, $vec221<>(SB)
DATA vectors<>+1776(SB)/8, $vec222<>(SB)
DATA vectors<>+1784(SB)/8, $vec223<>(SB)
DATA vectors<>+1792(SB)/8, $vec224<>(SB)
DATA vectors<>+1800(SB)/8, $vec225<>(SB)
DATA vectors<>+1808(SB)/8, $vec226<>(SB)
DATA vectors<>+1816(SB)/8, $vec227<>(SB)
DATA vectors<>+1824(SB)/8, $vec228<>(SB)
DATA vectors<>+1832(SB)/8, $vec229<>(SB)
DATA vectors<>+1840(SB)/8, $vec230<>(SB)
DATA vectors<>+1848(SB)/8, $vec231<>(SB)
DATA vectors<>+1856(SB)/8, $vec232<>(SB)
DATA vectors<>+1864(SB)/8, $vec233<>(SB)
DATA vectors<>+1872(SB)/8, $vec234<>(SB)
DATA vectors<>+1880(SB)/8, $vec235<>(SB)
DATA vectors<>+1888(SB)/8, $vec236<>(SB)
DATA vectors<>+1896(SB)/8, $vec237<>(SB)
DATA vectors<>+1904(SB)/8, $vec238<>(SB)
DATA vectors<>+1912(SB)/8, $vec239<>(SB)
DATA vectors<>+1920(SB)/8, $vec240<>(SB)
DATA vectors<>+1928(SB)/8, $vec241<>(SB)
DATA vectors<>+1936(SB)/8, $vec242<>(SB)
DATA vectors<>+1944(SB)/8, $vec243<>(SB)
DATA vectors<>+1952(SB)/8, $vec244<>(SB)
DATA vectors<>+1960(SB)/8, $vec245<>(SB)
DATA vectors<>+1968(SB)/8, $vec246<>(SB)
DATA vectors<>+1976(SB)/8, $vec247<>(SB)
DATA vectors<>+1984(SB)/8, $vec248<>(SB)
DATA vectors<>+1992(SB)/8, $vec249<>(SB)
DATA vectors<>+2000(SB)/8, $vec250<>(SB)
DATA vectors<>+2008(SB)/8, $vec251<>(SB)
DATA vectors<>+2016(SB)/8, $vec252<>(SB)
DATA vectors<>+2024(SB)/8, $vec253<>(SB)
DATA vectors<>+2032(SB)/8, $vec254<>(SB)
DATA vectors<>+2040(SB)/8, $vec255<>(SB)
GLOBL vectors<>(SB), RODATA, $2048
