package kernelsrc

import (
	"io/fs"

	"unigo.dev/unigo/kernel"
)

// embedded returns the kernel source compiled into this binary.
func embedded() fs.FS { return kernel.Source }
