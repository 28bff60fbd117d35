// Command hello-exit stops the machine as the first thing main does. The
// startup benchmark (bench/cmd/startup) counts guest instructions from
// reset to this point.
//
// As a unigo unikernel, os.Exit(0) is the stop: the kernel's exit_group
// writes the status to the isa-debug-exit port and QEMU exits.
//
// As /init of a Linux guest (BENCH_EXIT_PORT=0xf4 in the environment, set
// from the kernel command line), exiting would make the kernel panic
// ("Attempted to kill init") and spend instructions on that, so instead
// main asks for the port with ioperm(2) and writes 0 to it: QEMU exits with
// status 1 at once. The check is on an environment variable, never on
// "am I pid 1", so that running this binary on a host never writes to a
// real I/O port.
package main

import (
	"os"
	"syscall"
)

// debugExitPort is QEMU's isa-debug-exit port (iobase=0xf4).
const debugExitPort = 0xf4

// outb writes val to the I/O port (OUTB); see exitport_amd64.s.
func outb(port uint16, val uint8)

func main() {
	if os.Getenv("BENCH_EXIT_PORT") == "0xf4" {
		if err := syscall.Ioperm(debugExitPort, 4, 1); err == nil {
			outb(debugExitPort, 0)
		}
	}
	os.Exit(0)
}
