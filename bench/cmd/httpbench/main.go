// Command httpbench runs the unigo HTTP benchmark: requests/s, latency
// percentiles and guest instructions per request of the same net/http
// server as a unikernel and inside a minimal Linux guest, on the same QEMU
// command line, plus the unikernel under load in small guests. Run it from
// the repository:
//
//	go run ./bench/cmd/httpbench
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
	if err := startup.RunHTTP(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}
