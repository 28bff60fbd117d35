// Package blockfile backs a [block.Device] with a host file, so that block
// file systems (kernel/fs/ext2) and the buffer cache run under go test
// against images that host tools (mke2fs, e2fsck, debugfs) make and check.
// It is for hosted tests only: guests never import it.
package blockfile

import (
	"fmt"
	"os"
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/mm"
)

// File is an open image and the counters of what was done to it.
type File struct {
	F         *os.File
	Dev       *block.Device
	Reads     int // requests
	Writes    int
	Flushes   int
	FailWrite bool         // writes fail with EIO while set
	OnFlush   func() error // called at each flush (after the writes it covers)
}

var files []*File

// Open registers path as block device name. The file's size must be a
// multiple of 512 bytes.
func Open(path, name string, readOnly bool, maxSegs int) (*File, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size()%block.SectorSize != 0 {
		f.Close()
		return nil, fmt.Errorf("%s: size %d is not a multiple of 512", path, st.Size())
	}
	bf := &File{F: f}
	files = append(files, bf)
	d := block.Device{Sectors: uint64(st.Size() / block.SectorSize), ReadOnly: readOnly,
		MaxSegs: maxSegs, Transfer: transfer, Flush: flush, Priv: uintptr(len(files) - 1)}
	d.SetName(name)
	bf.Dev = block.Register(&d)
	if bf.Dev == nil {
		f.Close()
		return nil, fmt.Errorf("block registry full")
	}
	return bf, nil
}

// Close closes the file (the device stays registered until block.Reset).
func (f *File) Close() error { return f.F.Close() }

func transfer(d *block.Device, write bool, sector uint64, segs []block.Seg) linux.Errno {
	f := files[d.Priv]
	if len(segs) > d.MaxSegs {
		panic(fmt.Sprintf("blockfile: %d segments, device allows %d", len(segs), d.MaxSegs))
	}
	if write && d.ReadOnly {
		return linux.EROFS
	}
	off := int64(sector) * block.SectorSize
	total := int64(0)
	for _, s := range segs {
		total += int64(s.Len)
	}
	if off+total > d.Size() {
		return linux.EINVAL
	}
	if write {
		f.Writes++
		if f.FailWrite {
			return linux.EIO
		}
	} else {
		f.Reads++
	}
	for _, s := range segs {
		if s.Len%block.SectorSize != 0 {
			panic("blockfile: segment not a multiple of 512 bytes")
		}
		b := unsafe.Slice((*byte)(mm.Ptr(s.VA)), s.Len)
		var err error
		if write {
			_, err = f.F.WriteAt(b, off)
		} else {
			_, err = f.F.ReadAt(b, off)
		}
		if err != nil {
			return linux.EIO
		}
		off += int64(s.Len)
	}
	return 0
}

func flush(d *block.Device) linux.Errno {
	f := files[d.Priv]
	f.Flushes++
	if f.OnFlush != nil {
		if err := f.OnFlush(); err != nil {
			panic(err)
		}
	}
	return 0
}
