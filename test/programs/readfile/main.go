// Command readfile prints each file named by its arguments as
// "NAME: CONTENT" and exits 1 if one cannot be read: the containerd shim's
// e2e test reads a host directory bind-mounted into the container.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	status := 0
	for _, name := range os.Args[1:] {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Println(err)
			status = 1
			continue
		}
		fmt.Printf("%s: %s\n", name, strings.TrimSpace(string(b)))
	}
	os.Exit(status)
}
