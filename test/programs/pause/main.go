// Command pause is the sandbox image of the CRI end-to-end test, built as
// an ordinary Linux program and run by runc: like Kubernetes' pause, it
// holds the pod's namespaces and waits for SIGTERM or SIGINT.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
