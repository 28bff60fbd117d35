package core

import (
	"unigo.dev/unigo/kernel/drivers/virtio"
	"unigo.dev/unigo/kernel/vfs"
)

// The kernel's optional components. `unigo build` replaces this file,
// through `go build -overlay`, with one that lists the drivers the program
// needs (file systems only when the program can open files), so that an
// image carries only what its program can use. This default, used by the
// hosted tests, has none. The lists must be static data (no init code):
// the kernel uses them at boot, before the Go runtime and any init() run.

// fileSystems are registered with the vfs at boot.
var fileSystems = [...]*vfs.FileSystem{}

// virtioDrivers get the virtio devices of their type at boot (virtio.go).
var virtioDrivers = [...]*virtio.Driver{}
