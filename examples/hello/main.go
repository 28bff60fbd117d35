// Command hello is the smallest unigo example: it prints a greeting, its
// arguments and the UNIGO_GREETING environment variable, then exits 0.
//
//	unigo run ./examples/hello -e UNIGO_GREETING=hi -- alice bob
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("Hello from unigo!")
	for i, a := range os.Args[1:] {
		fmt.Printf("arg[%d]=%s\n", i+1, a)
	}
	if g, ok := os.LookupEnv("UNIGO_GREETING"); ok {
		fmt.Printf("UNIGO_GREETING=%s\n", g)
	}
}
