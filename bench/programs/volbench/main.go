// Command volbench measures file-system throughput in DIR, for the volume
// benchmark (bench/cmd/volume): as a unikernel on an ext2 volume, and as a
// Linux process on the host. Modes:
//
//	volbench write DIR   sequential write of 64 MiB in 1 MiB writes + fsync;
//	                     2000 files of 4 KiB in 20 directories + sync;
//	                     100 × (append 4 KiB + fsync)
//	volbench read DIR    sequential read of the 64 MiB file (cold: run it
//	                     in a fresh boot), then of the 2000 small files
//
// Each figure is printed as "name value unit".
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	bigSize   = 64 << 20
	chunk     = 1 << 20
	smallN    = 2000
	smallSize = 4096
	fsyncN    = 100
)

func check(err error) {
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
}

func report(name string, v float64, unit string) { fmt.Printf("%s %.2f %s\n", name, v, unit) }

func mib(n int, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }

func small(dir string, i int) string {
	return filepath.Join(dir, "small", fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d", i))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Println("usage: volbench write|read DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	buf := make([]byte, chunk)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	switch os.Args[1] {
	case "write":
		f, err := os.Create(filepath.Join(dir, "big"))
		check(err)
		start := time.Now()
		for n := 0; n < bigSize; n += chunk {
			_, err := f.Write(buf)
			check(err)
		}
		check(f.Sync())
		report("seq-write+fsync", mib(bigSize, time.Since(start)), "MiB/s")
		check(f.Close())

		start = time.Now()
		for i := 0; i < smallN; i++ {
			p := small(dir, i)
			if i < 20 {
				check(os.MkdirAll(filepath.Dir(p), 0o755))
			}
			check(os.WriteFile(p, buf[:smallSize], 0o644))
		}
		syscall.Sync()
		report("create-4k+sync", float64(smallN)/time.Since(start).Seconds(), "files/s")

		f, err = os.Create(filepath.Join(dir, "log"))
		check(err)
		start = time.Now()
		for i := 0; i < fsyncN; i++ {
			_, err := f.Write(buf[:4096])
			check(err)
			check(f.Sync())
		}
		report("append-4k+fsync", float64(time.Since(start).Microseconds())/fsyncN/1000, "ms/op")
		check(f.Close())
	case "read":
		f, err := os.Open(filepath.Join(dir, "big"))
		check(err)
		start := time.Now()
		n, err := io.CopyBuffer(io.Discard, f, buf)
		check(err)
		if n != bigSize {
			check(fmt.Errorf("read %d bytes", n))
		}
		report("seq-read-cold", mib(bigSize, time.Since(start)), "MiB/s")
		f.Close()
		start = time.Now()
		for i := 0; i < smallN; i++ {
			b, err := os.ReadFile(small(dir, i))
			check(err)
			if len(b) != smallSize {
				check(fmt.Errorf("%s: %d bytes", small(dir, i), len(b)))
			}
		}
		report("read-4k-files", float64(smallN)/time.Since(start).Seconds(), "files/s")
	}
}
