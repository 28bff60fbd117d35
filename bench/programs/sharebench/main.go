// Command sharebench times file I/O in one directory: sequential writes and
// reads of a large file in 128 KiB and 4 KiB calls, and a metadata loop
// (create, write 100 bytes, stat, remove). The shares benchmark
// (bench/cmd/shares) runs it on a host share (unigo run -v), on the
// guest's ramfs and as a Linux process on the host directory.
//
// Usage: sharebench DIR MiB. It prints one "name value unit" line per figure.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sharebench DIR MiB")
		os.Exit(2)
	}
	dir := os.Args[1]
	mib, err := strconv.Atoi(os.Args[2])
	check(err)
	size := mib << 20
	path := filepath.Join(dir, "sharebench.dat")
	for _, chunk := range []int{128 << 10, 4 << 10} {
		buf := make([]byte, chunk)
		for i := range buf {
			buf[i] = byte(i)
		}
		start := time.Now()
		f, err := os.Create(path)
		check(err)
		for n := 0; n < size; n += chunk {
			_, err := f.Write(buf)
			check(err)
		}
		check(f.Close())
		report(fmt.Sprintf("write-%dk", chunk>>10), float64(size)/(1<<20)/time.Since(start).Seconds(), "MiB/s")
		start = time.Now()
		f, err = os.Open(path)
		check(err)
		total := 0
		for {
			n, err := f.Read(buf)
			total += n
			if err == io.EOF {
				break
			}
			check(err)
		}
		check(f.Close())
		if total != size {
			fmt.Fprintf(os.Stderr, "read %d bytes back; wrote %d\n", total, size)
			os.Exit(1)
		}
		report(fmt.Sprintf("read-%dk", chunk>>10), float64(size)/(1<<20)/time.Since(start).Seconds(), "MiB/s")
	}
	check(os.Remove(path))

	const files = 300
	small := make([]byte, 100)
	start := time.Now()
	for i := 0; i < files; i++ {
		p := filepath.Join(dir, fmt.Sprintf("small-%d", i))
		check(os.WriteFile(p, small, 0o644))
		_, err := os.Stat(p)
		check(err)
		check(os.Remove(p))
	}
	report("create-stat-remove", float64(files)/time.Since(start).Seconds(), "files/s")
}

func report(name string, v float64, unit string) { fmt.Printf("%s %.1f %s\n", name, v, unit) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sharebench:", err)
		os.Exit(1)
	}
}
