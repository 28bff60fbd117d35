// Command gensyscalls writes docs/syscalls.md, the list of Linux system
// calls and how completely the kernel implements each, from the kernel's
// syscall table.
//
//	go run ./cmd/gensyscalls > ../docs/syscalls.md
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Stdout.WriteString(markdown())
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: gensyscalls > docs/syscalls.md")
		os.Exit(2)
	}
}
