// Command fillfs fills the in-memory root file system until a write fails,
// and checks that the failure is ENOSPC (not a crash), that nothing else
// was lost, and that deleting the file gives the space back. Meant for a
// small unigo guest; do not run it on a real machine's /tmp.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
)

func main() {
	keep := []byte("this file must survive\n")
	if err := os.WriteFile("/tmp/keep", keep, 0o644); err != nil {
		fail("keep: %v", err)
	}
	f, err := os.Create("/tmp/fill")
	if err != nil {
		fail("create: %v", err)
	}
	chunk := bytes.Repeat([]byte{0xAB}, 1<<20)
	mib := 0
	for ; mib < 1<<14; mib++ {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		fail("filling stopped after %d MiB with %v; want ENOSPC", mib, err)
	}
	fmt.Println("full: ENOSPC")
	f.Close()
	if b, err := os.ReadFile("/tmp/keep"); err != nil || !bytes.Equal(b, keep) {
		fail("the other file was damaged: %q, %v", b, err)
	}
	if err := os.Remove("/tmp/fill"); err != nil {
		fail("remove: %v", err)
	}
	if err := os.WriteFile("/tmp/again", chunk, 0o644); err != nil {
		fail("after freeing the space: %v", err)
	}
	fmt.Println("space given back: ok")
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}
