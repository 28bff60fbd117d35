// Command upper copies standard input to standard output in upper case,
// line by line, until "quit" or end of input: the e2e test of console input.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if line == "quit" {
			break
		}
		fmt.Println(strings.ToUpper(line))
	}
	fmt.Println("bye")
}
