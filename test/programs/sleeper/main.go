// Command sleeper prints "sleeping", sleeps for the duration given as its
// argument (forever without one), then prints "awake". The e2e tests use it
// to check that an idle guest burns no host CPU and that Ctrl-C stops a
// guest.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	fmt.Println("sleeping")
	if len(os.Args) < 2 {
		for {
			time.Sleep(time.Hour)
		}
	}
	d, err := time.ParseDuration(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	time.Sleep(d)
	fmt.Println("awake")
}
