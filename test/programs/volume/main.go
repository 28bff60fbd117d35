// Command volume exercises a persistent ext2 volume (unigo run
// --volume-disk) for the e2e tests:
//
//	volume write DIR N fsync|nosync hold|exit|sleep
//	    writes N files under DIR (in subdirectories, sizes from 0 to
//	    ~300 KiB, contents from Content), fsyncing each file and its
//	    directory with fsync; then prints "written N" and, with hold,
//	    waits forever (the host kills the VM), with exit returns, with
//	    sleep waits forever without handling SIGTERM (the host presses the
//	    power button: the program dies of SIGTERM).
//	volume verify DIR N
//	    reads the N files back and compares them; prints "verified N".
//	volume walk DIR
//	    prints one line per entry under DIR, sorted: path, type, mode,
//	    size, and the SHA-256 of a file or the target of a symlink.
//	volume mount DEV DIR MODE ARGS...
//	    mounts the ext2 block device DEV on DIR with mount(2), runs MODE
//	    (write, verify or walk) on DIR, and unmounts nothing (the kernel
//	    does at exit).
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Content returns file i's bytes: deterministic, different per file.
func Content(i int) []byte {
	size := (i * 7919) % (300 << 10)
	if i%5 == 0 {
		size = i // some small ones
	}
	b := make([]byte, 0, size+32)
	seed := sha256.Sum256([]byte("unigo volume " + strconv.Itoa(i)))
	for len(b) < size {
		b = append(b, seed[:]...)
		seed = sha256.Sum256(seed[:])
	}
	return b[:size]
}

func path(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("d%d", i%4), fmt.Sprintf("file-%03d", i))
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: volume write|verify|walk DIR ...")
	}
	if os.Args[1] == "mount" {
		if err := os.MkdirAll(os.Args[3], 0o755); err != nil {
			fail("%v", err)
		}
		if err := syscall.Mount(os.Args[2], os.Args[3], "ext2", 0, ""); err != nil {
			fail("mount %s %s: %v", os.Args[2], os.Args[3], err)
		}
		fmt.Printf("mounted %s\n", os.Args[2])
		os.Args = append([]string{os.Args[0], os.Args[4], os.Args[3]}, os.Args[5:]...)
	}
	dir := os.Args[2]
	switch os.Args[1] {
	case "write":
		n, _ := strconv.Atoi(os.Args[3])
		sync := os.Args[4] == "fsync"
		for i := 0; i < n; i++ {
			p := path(dir, i)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				fail("%v", err)
			}
			f, err := os.Create(p)
			if err != nil {
				fail("%v", err)
			}
			if _, err := f.Write(Content(i)); err != nil {
				fail("write %s: %v", p, err)
			}
			if sync {
				if err := f.Sync(); err != nil {
					fail("fsync %s: %v", p, err)
				}
			}
			if err := f.Close(); err != nil {
				fail("%v", err)
			}
			if sync {
				d, err := os.Open(filepath.Dir(p))
				if err != nil {
					fail("%v", err)
				}
				if err := d.Sync(); err != nil {
					fail("fsync dir: %v", err)
				}
				d.Close()
			}
		}
		fmt.Printf("written %d\n", n)
		switch os.Args[5] {
		case "hold", "sleep":
			for {
				time.Sleep(time.Hour)
			}
		}
	case "verify":
		n, _ := strconv.Atoi(os.Args[3])
		for i := 0; i < n; i++ {
			got, err := os.ReadFile(path(dir, i))
			if err != nil {
				fail("%v", err)
			}
			if !bytes.Equal(got, Content(i)) {
				fail("%s: %d bytes differ from the %d written", path(dir, i), len(got), len(Content(i)))
			}
		}
		fmt.Printf("verified %d\n", n)
	case "walk":
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			st, err := os.Lstat(p)
			if err != nil {
				return err
			}
			line := fmt.Sprintf("%s %s %o %d", rel, st.Mode().Type(), st.Mode().Perm(), st.Size())
			switch {
			case st.Mode().IsRegular():
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			case st.Mode()&fs.ModeSymlink != 0:
				t, err := os.Readlink(p)
				if err != nil {
					return err
				}
				line += " -> " + t
			case st.IsDir():
				line = fmt.Sprintf("%s %s %o", rel, st.Mode().Type(), st.Mode().Perm())
			}
			fmt.Println(line)
			return nil
		})
		if err != nil {
			fail("%v", err)
		}
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
