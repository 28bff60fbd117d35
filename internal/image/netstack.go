package image

import (
	"debug/elf"
	"strings"
)

// netStackSymbol ends the name of a function only the kernel's network
// stack (unigo.dev/unigo/kernel/net, vendored for standard-library tests)
// has.
const netStackSymbol = "unigo.dev/unigo/kernel/net.start"

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
		if strings.HasSuffix(s.Name, netStackSymbol) {
			return true, nil
		}
	}
	return false, nil
}
