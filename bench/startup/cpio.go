package startup

import (
	"fmt"
	"io"
)

// cpioEntry is one file in an initramfs.
type cpioEntry struct {
	Name  string // path without a leading slash, e.g. "init" or "dev/console"
	Mode  uint32 // file type and permission bits, as in st_mode
	Data  []byte // contents of a regular file
	Major uint32 // device numbers of a device node (rdev)
	Minor uint32
}

// File type bits of st_mode (linux/stat.h).
const (
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeChar = 0o020000
)

// writeCPIO writes entries as a cpio archive in the "newc" format that the
// Linux kernel unpacks as an initramfs (Documentation/driver-api/
// early-userspace/buffer-format.rst), ending with the TRAILER!!! entry.
// Directories must come before the files in them.
func writeCPIO(w io.Writer, entries []cpioEntry) error {
	ino := uint32(1)
	for _, e := range append(entries, cpioEntry{Name: "TRAILER!!!"}) {
		nlink := uint32(1)
		if e.Mode&0o170000 == modeDir {
			nlink = 2
		}
		if e.Name == "TRAILER!!!" {
			ino, nlink = 0, 1
		}
		// 110-byte header: magic, then 13 fields of 8 hex digits:
		// ino mode uid gid nlink mtime filesize devmajor devminor
		// rdevmajor rdevminor namesize check.
		hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, e.Mode, 0, 0, nlink, 0, len(e.Data), 0, 0, e.Major, e.Minor, len(e.Name)+1, 0)
		ino++
		// The name (with its NUL) is padded so that the data starts on a
		// 4-byte boundary; the data is padded to 4 bytes as well.
		buf := append([]byte(hdr), e.Name...)
		buf = append(buf, 0)
		buf = append(buf, make([]byte, pad4(len(buf)))...)
		buf = append(buf, e.Data...)
		buf = append(buf, make([]byte, pad4(len(e.Data)))...)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

func pad4(n int) int { return (4 - n%4) % 4 }
