// Command startup runs the unigo startup benchmark: image size, guest
// instructions from reset to main and minimum guest memory, each next to its
// Linux baselines. Run it from the repository:
//
//	go run ./bench/cmd/startup
//
// See bench/README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"unigo.dev/unigo/bench/startup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := startup.Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}
