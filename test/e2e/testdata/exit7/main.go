// Command exit7 exits with status 7 after printing a line.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("exiting with 7")
	os.Exit(7)
}
