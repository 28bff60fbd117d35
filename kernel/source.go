// Package kernel holds the unigo kernel's source, embedded so that the host
// tool (cmd/unigo) can build guests from any directory without network
// access. Guests never import this package; they import
// unigo.dev/unigo/kernel/core.
package kernel

import "embed"

// Source is the kernel module: go.mod and every package under it.
//
//go:embed *
var Source embed.FS
