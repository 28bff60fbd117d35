package image

import (
	"debug/elf"
	"strings"
)

// netStackPackage is the network stack's import path (vendored under
// "vendor/" in standard-library test binaries); any symbol of it marks an
// image that carries it.
const netStackPackage = "unigo.dev/unigo/kernel/net."

// HasNetStack reports whether the image at path carries the network stack
// (unigo build links it into programs that use package net).
func HasNetStack(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return false, nil // stripped: assume not
	}
	for _, s := range syms {
		if strings.HasPrefix(strings.TrimPrefix(s.Name, "vendor/"), netStackPackage) {
			return true, nil
		}
	}
	return false, nil
}
