package core

import "unigo.dev/unigo/kernel/vfs"

// The kernel's optional components. `unigo build` replaces this file,
// through `go build -overlay`, with one that lists the drivers the program
// needs (file systems only when the program can open files), so that an
// image carries only what its program can use. This default, used by the
// hosted tests, has none.

// fileSystems are registered with the vfs at boot.
var fileSystems = [...]*vfs.FileSystem{}
