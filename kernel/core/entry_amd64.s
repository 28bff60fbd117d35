// unigo_kernel_main is kernelMain under a global name that does not depend
// on this package's import path: the architecture's boot code calls it. (A
// go:linkname would name the path, which differs when the kernel is vendored
// into GOROOT for standard-library test builds.)

#include "textflag.h"

TEXT unigo_kernel_main(SB),NOSPLIT|NOFRAME,$0
	JMP ·kernelMain(SB)

// func bssEnd() uintptr
TEXT ·bssEnd(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ $runtime·end(SB), AX
	MOVQ AX, ret+0(FP)
	RET
