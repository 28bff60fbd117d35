#include "textflag.h"

// entry64 is the ELF entry; never reached under PVH boot. The unreachable
// reference keeps pvhEntry32 alive through the linker's dead-code pass.
TEXT ·entry64(SB),NOSPLIT|NOFRAME,$0
	JMP _rt0_amd64_linux(SB)
	JMP ·pvhEntry32(SB)

// pvhEntry32 runs in 32-bit protected mode: print msg on COM1, write 3 to
// isa-debug-exit (QEMU exits 7), halt.
TEXT ·pvhEntry32(SB),NOSPLIT|NOFRAME,$0
	BYTE $0x66; BYTE $0xBA; BYTE $0xF8; BYTE $0x03 // MOVW $0x3f8, DX
	BYTE $0xB0; BYTE $0x75; BYTE $0xEE // MOVB $'u', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6E; BYTE $0xEE // MOVB $'n', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x69; BYTE $0xEE // MOVB $'i', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x67; BYTE $0xEE // MOVB $'g', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6F; BYTE $0xEE // MOVB $'o', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x20; BYTE $0xEE // MOVB $' ', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x66; BYTE $0xEE // MOVB $'f', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x61; BYTE $0xEE // MOVB $'a', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6B; BYTE $0xEE // MOVB $'k', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x65; BYTE $0xEE // MOVB $'e', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x20; BYTE $0xEE // MOVB $' ', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6B; BYTE $0xEE // MOVB $'k', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x65; BYTE $0xEE // MOVB $'e', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x72; BYTE $0xEE // MOVB $'r', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6E; BYTE $0xEE // MOVB $'n', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x65; BYTE $0xEE // MOVB $'e', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x6C; BYTE $0xEE // MOVB $'l', AL; OUTB AL, DX
	BYTE $0xB0; BYTE $0x0A; BYTE $0xEE // MOVB $'\n', AL; OUTB AL, DX
	BYTE $0x66; BYTE $0xBA; BYTE $0xF4; BYTE $0x00 // MOVW $0xf4, DX
	BYTE $0xB0; BYTE $0x03; BYTE $0xEE // MOVB $3, AL; OUTB AL, DX
	BYTE $0xF4; BYTE $0xEB; BYTE $0xFD // HLT; JMP -3
