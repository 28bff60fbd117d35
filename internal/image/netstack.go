package image

import (
	"debug/elf"
	"strings"
)

// netStackPackage is the network stack's import path (vendored under
// "vendor/" in standard-library test binaries); any symbol of it marks an
// image that carries it.
const netStackPackage = "unigo.dev/unigo/kernel/net."

// Kernel component packages whose presence the host tool checks before
// booting: the network stack, and the file-system drivers behind -v and
// --volume-disk (optional components: unigo build links them only into
// programs that name files).
const (
	P9Package   = "unigo.dev/unigo/kernel/fs/p9"
	Ext2Package = "unigo.dev/unigo/kernel/fs/ext2"
)

// HasNetStack reports whether the image at path carries the network stack
// (unigo build links it into programs that use package net).
func HasNetStack(path string) (bool, error) {
	has, _, err := HasPackage(path, strings.TrimSuffix(netStackPackage, "."))
	return has, err
}

// HasPackage reports whether the image at path has code or data of the Go
// package pkg (vendored under "vendor/" in standard-library test binaries
// too). known is false for a stripped image, which cannot tell.
func HasPackage(path, pkg string) (has, known bool, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return false, false, nil // stripped
	}
	for _, s := range syms {
		if strings.HasPrefix(strings.TrimPrefix(s.Name, "vendor/"), pkg+".") {
			return true, true, nil
		}
	}
	return false, true, nil
}
