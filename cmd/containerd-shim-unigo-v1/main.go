// Command containerd-shim-unigo-v1 is containerd's runtime v2 shim for
// unigo images (runtime type io.containerd.unigo.v1): containerd, nerdctl
// and Kubernetes (a RuntimeClass with the handler unigo) run unigo images
// as unikernels under QEMU through it, and other images through runc.
// See docs/kubernetes.md.
package main

import (
	"github.com/containerd/containerd/runtime/v2/shim"

	unishim "unigo.dev/unigo/internal/shim"
)

func main() {
	// The shim waits for its own children (QEMU, nsenter, ip, tc), so it
	// needs neither a reaper nor to be a subreaper.
	shim.Run(unishim.RuntimeName, unishim.New, func(c *shim.Config) {
		c.NoReaper = true
		c.NoSubreaper = true
	})
}
