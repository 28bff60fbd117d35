// Rootfsprog prints files of the root file system that unigo build
// --rootfs testdata/rootfs1 packs into its image.
package main

import (
	"fmt"
	"io/fs"
	"os"
)

func main() {
	greeting, err := os.ReadFile("/etc/greeting")
	check(err)
	fmt.Printf("/etc/greeting: %s", greeting)

	entries, err := os.ReadDir("/data")
	check(err)
	fmt.Println("/data:")
	for _, e := range entries {
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink("/data/" + e.Name())
			check(err)
			fmt.Printf("  %s -> %s\n", e.Name(), target)
		case e.IsDir():
			fmt.Printf("  %s/\n", e.Name())
		default:
			info, err := e.Info()
			check(err)
			fmt.Printf("  %s %d bytes %v\n", e.Name(), info.Size(), info.Mode())
		}
	}

	b, err := os.ReadFile("/data/sub/b.txt")
	check(err)
	fmt.Printf("/data/sub/b.txt: %s", b)
	a, err := os.ReadFile("/data/link")
	check(err)
	fmt.Printf("/data/link: %s", a)
	wd, err := os.Getwd()
	check(err)
	fmt.Printf("cwd: %s\n", wd)
}

func check(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
