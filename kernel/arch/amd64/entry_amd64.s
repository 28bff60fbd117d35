// Boot entry points.
//
// Two ways in:
//   - pvhEntry32: the Xen PVH boot ABI used by QEMU (pc, q35, microvm),
//     Firecracker >= 1.12 and cloud-hypervisor: 32-bit protected mode, paging
//     off, EBX = physical address of struct hvm_start_info, no stack.
//   - entry64 (the ELF entry point): the 64-bit Linux boot protocol used by
//     older Firecracker: long mode, identity-mapped, RSI = struct boot_params.
//
// Both end in start64, which sets up a boot stack, enables SSE, points FS at a
// bootstrap TLS block whose g describes that stack, and calls the kernel's
// main function, unigo_kernel_main (package core).

#include "go_asm.h"
#include "textflag.h"

#define PVH_MAGIC 0x336ec578
#define MSR_EFER 0xC0000080
#define MSR_FS_BASE 0xC0000100

// bootdata layout (after rounding the start up to a page):
//   0x0000 PML4, 0x1000 PDPT, 0x2000..0x6000 four PDs (identity map of 4 GiB
//   with 2 MiB pages), 0x6000 GDT, 0x6020 GDTR, 0x8000 top of the 32-bit stack.
GLOBL ·bootdata(SB), NOPTR, $0x9000

// pvhEntry32 is the PVH entry. The PVH ELF note points here.
//
// This is 32-bit code written with the 64-bit assembler: only instructions whose
// encoding means the same in both modes are used (no REX prefixes), and
// symbol addresses are computed from RIP-relative LEAL displacements plus the
// address of a known instruction, found with CALL/POP.
TEXT ·pvhEntry32(SB),NOSPLIT|NOFRAME,$0
	CLI
	CLD
	// A 4-byte stack inside start_info (EBX points at writable RAM): the CALL
	// below overwrites start_info.magic, which is restored right after.
	MOVL BX, SP
	ADDL $4, SP
	BYTE $0xE8; LONG $0          // call next instruction
	BYTE $0x5D                   // pop %ebp: EBP = address of this instruction (P)
	LEAL ·bootdata(SB), DI       // at P+1: EDI = bootdata - (P+7)
	LEAL ·pvh64(SB), SI          // at P+7: ESI = pvh64 - (P+13)
	ADDL BP, DI
	ADDL $7, DI
	ADDL BP, SI
	ADDL $13, SI
	MOVL $PVH_MAGIC, (BX)

	// Page-align bootdata and use its top as the stack.
	ADDL $4095, DI
	ANDL $~4095, DI
	LEAL 0x8000(DI), SP

	// Zero the page tables.
	MOVL DI, DX
	XORL AX, AX
	MOVL $(0x6000/4), CX
	REP; STOSL
	MOVL DX, DI

	// PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3.
	LEAL 0x1003(DI), AX
	MOVL AX, 0(DI)
	LEAL 0x2003(DI), AX
	MOVL AX, 0x1000(DI)
	LEAL 0x3003(DI), AX
	MOVL AX, 0x1008(DI)
	LEAL 0x4003(DI), AX
	MOVL AX, 0x1010(DI)
	LEAL 0x5003(DI), AX
	MOVL AX, 0x1018(DI)

	// 2048 PDEs: identity map of [0, 4 GiB), present|writable|2MiB.
	MOVL $0x83, AX
	LEAL 0x2000(DI), DX
	MOVL $2048, CX
pdloop:
	MOVL AX, 0(DX)
	ADDL $0x200000, AX
	ADDL $8, DX
	DECL CX
	JNE pdloop

	// CR4.PAE, CR3.
	MOVL CR4, AX
	ORL $0x20, AX
	MOVL AX, CR4
	MOVL DI, CR3

	// EFER.LME, and EFER.NXE when the CPU has NX (CPUID 0x80000001 EDX bit 20).
	MOVL BX, BP
	MOVL $0x80000001, AX
	CPUID
	ANDL $0x100000, DX
	SHRL $9, DX
	MOVL DX, BX
	MOVL $MSR_EFER, CX
	RDMSR
	ORL $0x100, AX
	ORL BX, AX
	WRMSR
	MOVL BP, BX

	// CR0: PG | WP | NE | MP | PE, EM cleared.
	MOVL CR0, AX
	ANDL $~0x6000000C, AX
	ORL $0x80010023, AX
	MOVL AX, CR0

	// GDT: null, 64-bit code (0x08), data (0x10).
	MOVL $0, 0x6000(DI)
	MOVL $0, 0x6004(DI)
	MOVL $0x0000FFFF, 0x6008(DI)
	MOVL $0x00AF9A00, 0x600C(DI)
	MOVL $0x0000FFFF, 0x6010(DI)
	MOVL $0x00CF9200, 0x6014(DI)
	MOVW $23, 0x6020(DI)
	LEAL 0x6000(DI), AX
	MOVL AX, 0x6022(DI)
	LGDT 0x6020(DI)

	// Far return into 64-bit code: push $0x08; push %esi; lret.
	BYTE $0x6A; BYTE $0x08
	BYTE $0x56
	BYTE $0xCB

// pvh64 continues the PVH entry in 64-bit mode. EBX = start_info.
TEXT ·pvh64(SB),NOSPLIT|NOFRAME,$0
	MOVL $0x10, AX
	MOVW AX, DS
	MOVW AX, ES
	MOVW AX, SS
	MOVL BX, SI                  // zero-extends
	MOVQ $const_BootPVH, DI
	JMP ·start64(SB)

// entry64 is the ELF entry point: the 64-bit Linux boot protocol.
// RSI = boot_params (the "zero page").
TEXT ·entry64(SB),NOSPLIT|NOFRAME,$0
	CLI
	CLD
	MOVQ $const_BootLinux64, DI
	JMP ·start64(SB)

// start64: DI = boot protocol, SI = physical address of its boot info.
TEXT ·start64(SB),NOSPLIT|NOFRAME,$0
	LEAQ ·bootstack+const_bootStackSize(SB), SP
	ANDQ $~15, SP

	// SSE on: CR0.EM off, CR0.MP on; CR4.OSFXSR | CR4.OSXMMEXCPT.
	MOVQ CR0, AX
	ANDQ $~4, AX
	ORQ $2, AX
	MOVQ AX, CR0
	MOVQ CR4, AX
	ORQ $0x600, AX
	MOVQ AX, CR4

	// Bootstrap g: stack bounds of bootstack.
	LEAQ ·bootstack(SB), AX
	MOVQ AX, ·bootg+kernelG_lo(SB)
	LEAQ const_stackGuard(AX), BX
	MOVQ BX, ·bootg+kernelG_guard0(SB)
	MOVQ BX, ·bootg+kernelG_guard1(SB)
	ADDQ $const_bootStackSize, AX
	MOVQ AX, ·bootg+kernelG_hi(SB)

	// FS base = &boottls[1], so that FS:-8 = &bootg.
	LEAQ ·bootg(SB), AX
	MOVQ AX, ·boottls(SB)
	LEAQ ·boottls+8(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	MOVL $MSR_FS_BASE, CX
	WRMSR

	// The kernel's main function (package core) under a name that does not
	// depend on the kernel's import path, which differs when the kernel is
	// vendored into GOROOT for standard-library test builds.
	LEAQ ·pvhEntry32(SB), AX // keep the PVH entry linked: only the ELF note refers to it
	SUBQ $16, SP
	MOVQ DI, 0(SP)
	MOVQ SI, 8(SP)
	CALL unigo_kernel_main(SB)
hang:
	HLT
	JMP hang


// ReenterLinux64 restarts the boot through the 64-bit Linux boot protocol
// entry, as a VMM that uses it would: RSI = boot_params. The kernel uses it
// to test that path (unigo.selftest=linuxboot). It does not return.
TEXT ·ReenterLinux64(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ bootParams+0(FP), SI
	JMP ·entry64(SB)
