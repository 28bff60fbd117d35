// Command sigterm waits for SIGTERM, prints that it cleaned up, and exits 0:
// the e2e test of graceful shutdown (unigo run gets SIGTERM → ACPI power
// button in the guest → SIGTERM to the program).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	fmt.Println("waiting for SIGTERM")
	s := <-c
	fmt.Println("got", s, "- cleaning up")
	os.Exit(0)
}
