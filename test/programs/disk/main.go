// Command disk reads and writes the raw disk /dev/vda (virtio-blk): it
// prints the disk's size and first 16 bytes, writes a pattern at an
// unaligned offset, syncs, and reads it back. The e2e test checks the image
// file on the host afterwards.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

func main() {
	f, err := os.OpenFile("/dev/vda", os.O_RDWR, 0)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	size, _ := f.Seek(0, io.SeekEnd)
	fmt.Println("size", size)
	head := make([]byte, 16)
	f.ReadAt(head, 0)
	fmt.Printf("head %q\n", head)
	msg := bytes.Repeat([]byte("guest-wrote-this "), 1000) // 17000 bytes, unaligned
	if _, err := f.WriteAt(msg, 1000); err != nil {
		fmt.Println("write:", err)
		os.Exit(1)
	}
	if err := f.Sync(); err != nil {
		fmt.Println("sync:", err)
	}
	back := make([]byte, len(msg))
	f.ReadAt(back, 1000)
	fmt.Println("readback ok", bytes.Equal(back, msg))
}
