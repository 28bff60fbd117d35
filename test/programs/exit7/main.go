// Command exit7 prints one line and exits with status 7, to check that a
// program's exit status reaches the host unchanged.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("exiting with status 7")
	os.Exit(7)
}
