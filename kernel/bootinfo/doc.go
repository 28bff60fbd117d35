// Package bootinfo reads what the virtual machine monitor hands the kernel at
// entry — the memory map, the command line, boot modules (an initrd) and the
// ACPI RSDP — and turns it into one normalised, fixed-capacity [Info].
//
// Two entry protocols are understood:
//
//   - PVH: EBX holds the physical address of a struct hvm_start_info (Xen's
//     xen/include/public/arch-x86/hvm/start_info.h); see [ParsePVH].
//   - The 64-bit Linux boot protocol: RSI holds the physical address of the
//     struct boot_params "zero page" (Linux's
//     arch/x86/include/uapi/asm/bootparam.h, Documentation/arch/x86/boot.rst
//     and zero-page.rst); see [ParseLinuxBoot].
//
// Everything here runs before the Go runtime starts, so nothing allocates,
// panics on purpose, or touches a pointer-typed global: memory is read
// through [Phys], a window on physical memory; errors are constants of type
// [Error]; the result lives in a caller-provided Info with fixed arrays.
package bootinfo
