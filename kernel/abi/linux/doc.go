// Package linux is the Linux x86-64 system-call ABI in one place: error
// numbers, system call numbers, flags, and the structures the kernel and a
// program exchange, laid out byte for byte as Linux lays them out.
//
// Each group of declarations names the Linux header it comes from (paths are
// relative to the root of the Linux source tree). Where Go's runtime declares
// the same structure (runtime/defs_linux_amd64.go), the layouts agree, and the
// package's tests check sizes and offsets with [unsafe.Offsetof].
//
// The package is data only: constants, types, static tables and tiny
// accessors. Nothing here allocates, so all of it may be used from trap
// context and from boot code that runs before the Go runtime starts.
package linux
