// Command bigbss has a 48 MiB zero-initialised array in its BSS, as
// crypto/tls's DRBG has 32 MiB: it checks that the kernel maps such objects
// demand-zero (ADR 0011), so that the image boots in less memory than its
// BSS spans and pays only for the pages it touches. It writes to the first
// N MiB of the array (its argument), checks that what it wrote is still
// there and that untouched pages read as zeros, and prints the result and
// the Go runtime's memory limit.
package main

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
)

var big [48 << 20]byte

func main() {
	n := 4
	if len(os.Args) > 1 {
		var err error
		if n, err = strconv.Atoi(os.Args[1]); err != nil || n < 0 || n > len(big)>>20 {
			fmt.Fprintf(os.Stderr, "bigbss: %q: want a number of MiB from 0 to %d\n", os.Args[1], len(big)>>20)
			os.Exit(2)
		}
	}
	touched := n << 20
	for i := 0; i < touched; i += 4096 {
		big[i] = byte(i>>12) | 1
	}
	// Every touched page, and one untouched page per MiB: reading a page
	// gives it a frame too (there is no shared zero page yet).
	for i := 0; i < len(big); i += 4096 {
		want := byte(0)
		if i < touched {
			want = byte(i>>12) | 1
		} else if i%(1<<20) != 0 {
			continue
		}
		if big[i] != want || big[i+4095] != 0 {
			fmt.Printf("bigbss: byte %d = %d, byte %d = %d; want %d and 0\n", i, big[i], i+4095, big[i+4095], want)
			os.Exit(1)
		}
	}
	fmt.Printf("bigbss: %d MiB array, %d MiB touched, contents right\n", len(big)>>20, n)
	// The runtime's memory limit: the kernel's default from free RAM, or
	// the environment's GOMEMLIMIT.
	if l := debug.SetMemoryLimit(-1); l == math.MaxInt64 {
		fmt.Println("bigbss: memory limit none")
	} else {
		fmt.Printf("bigbss: memory limit %d KiB\n", l>>10)
	}
}
