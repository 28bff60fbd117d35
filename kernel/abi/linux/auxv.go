package linux

// Auxiliary vector entry types: the (type, value) pairs after envp on the
// initial stack.
//
// include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h
const (
	AT_NULL              = 0 // end of vector
	AT_IGNORE            = 1
	AT_EXECFD            = 2
	AT_PHDR              = 3 // program headers of the program
	AT_PHENT             = 4 // size of a program header entry
	AT_PHNUM             = 5 // number of program headers
	AT_PAGESZ            = 6 // system page size
	AT_BASE              = 7 // base address of the interpreter
	AT_FLAGS             = 8
	AT_ENTRY             = 9 // entry point of the program
	AT_NOTELF            = 10
	AT_UID               = 11
	AT_EUID              = 12
	AT_GID               = 13
	AT_EGID              = 14
	AT_PLATFORM          = 15 // string identifying the CPU ("x86_64")
	AT_HWCAP             = 16 // CPUID.1:EDX on x86
	AT_CLKTCK            = 17 // frequency of times(2)
	AT_SECURE            = 23
	AT_BASE_PLATFORM     = 24
	AT_RANDOM            = 25 // address of 16 random bytes
	AT_HWCAP2            = 26
	AT_RSEQ_FEATURE_SIZE = 27
	AT_RSEQ_ALIGN        = 28
	AT_HWCAP3            = 29
	AT_HWCAP4            = 30
	AT_EXECFN            = 31 // file name of the program
	AT_SYSINFO_EHDR      = 33 // address of the vDSO's ELF header
	AT_MINSIGSTKSZ       = 51 // minimal signal stack size for this CPU
)
