package core

import "unigo.dev/unigo/kernel/drivers/virtio"

// Optional kernel components. The core imports no optional driver: this
// file lists none, and unigo build replaces it (go build -overlay) with a
// generated one that lists the drivers the program needs, so that images
// carry only those. The lists must be static data (no init code): the
// kernel uses them at boot, before the Go runtime and any init() run.

// virtioDrivers get the virtio devices of their type at boot (virtio.go).
var virtioDrivers = [...]*virtio.Driver{}
