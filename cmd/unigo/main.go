// Command unigo builds, runs and tests Go programs as unikernels.
//
// See the README and 'unigo help'.
package main

import (
	"os"

	"unigo.dev/unigo/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
