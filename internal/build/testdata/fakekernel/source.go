// Package kernel is a fake unigo kernel for testing the host tool without the
// real kernel: its PVH entry prints a line on COM1 and exits with status 3
// through isa-debug-exit, without ever starting the Go program.
package kernel

import "embed"

// Source is this module's source, as the real kernel provides it.
//
//go:embed go.mod *.go core arch
var Source embed.FS
