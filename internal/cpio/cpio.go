// Package cpio reads and writes cpio archives in the "newc" format (magic
// "070701"), the format of Linux initramfs images (Linux
// Documentation/driver-api/early-userspace/buffer-format.rst) and of the
// unigo root file system.
//
// An archive is a sequence of entries, each a 110-byte ASCII header
//
//	c_magic "070701", then 13 fields of 8 upper-case hexadecimal digits:
//	c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize
//	c_devmajor c_devminor c_rdevmajor c_rdevminor c_namesize c_check
//
// followed by the NUL-terminated name (c_namesize counts the NUL), padded
// with NULs so that header+name is a multiple of 4 bytes, then c_filesize
// bytes of data padded to a multiple of 4. A symbolic link's data is its
// target. The archive ends with an entry named "TRAILER!!!".
package cpio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Magic starts every newc header.
const Magic = "070701"

// Trailer is the name of the entry that ends an archive.
const Trailer = "TRAILER!!!"

// HeaderSize is the size of a newc header without the name.
const HeaderSize = 110

// File type bits of Header.Mode, as in Linux's st_mode (<linux/stat.h>).
const (
	TypeMask = 0o170000
	TypeReg  = 0o100000
	TypeDir  = 0o040000
	TypeLink = 0o120000
)

// Header is one archive entry.
type Header struct {
	Name  string // relative path, no leading "/" or "./"
	Mode  uint32 // type bits | permission bits
	Ino   uint32
	UID   uint32
	GID   uint32
	Nlink uint32
	Mtime uint32 // seconds since the Unix epoch
	Size  uint32 // bytes of data that follow
}

// Writer writes a newc archive. Call [Writer.WriteHeader], then write
// exactly Size bytes of data, for each entry, then [Writer.Close].
type Writer struct {
	w       io.Writer
	n       int64  // bytes written so far
	left    uint32 // data bytes the current entry still needs
	entries int
	closed  bool
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteHeader finishes the previous entry and starts a new one.
func (cw *Writer) WriteHeader(h *Header) error {
	if cw.closed {
		return errors.New("cpio: write after Close")
	}
	if err := cw.finish(); err != nil {
		return err
	}
	if h.Name == "" || len(h.Name) >= 1<<31 {
		return fmt.Errorf("cpio: bad entry name %q", h.Name)
	}
	for i := 0; i < len(h.Name); i++ {
		if h.Name[i] == 0 {
			return fmt.Errorf("cpio: entry name %q contains a NUL byte", h.Name)
		}
	}
	buf := make([]byte, 0, HeaderSize+len(h.Name)+4)
	buf = append(buf, Magic...)
	for _, v := range [...]uint32{h.Ino, h.Mode, h.UID, h.GID, h.Nlink, h.Mtime, h.Size, 0, 0, 0, 0, uint32(len(h.Name) + 1), 0} {
		buf = fmt.Appendf(buf, "%08X", v)
	}
	buf = append(buf, h.Name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	if err := cw.write(buf); err != nil {
		return err
	}
	cw.left = h.Size
	cw.entries++
	return nil
}

// Write writes data of the current entry.
func (cw *Writer) Write(p []byte) (int, error) {
	if uint64(len(p)) > uint64(cw.left) {
		return 0, fmt.Errorf("cpio: %d bytes more than the entry's size", uint64(len(p))-uint64(cw.left))
	}
	if err := cw.write(p); err != nil {
		return 0, err
	}
	cw.left -= uint32(len(p))
	return len(p), nil
}

// finish pads the current entry's data.
func (cw *Writer) finish() error {
	if cw.left != 0 {
		return fmt.Errorf("cpio: entry is %d bytes short of its size", cw.left)
	}
	return cw.write(make([]byte, pad4(int(cw.n%4))))
}

// Close writes the trailer. It does not close the underlying writer.
func (cw *Writer) Close() error {
	if cw.closed {
		return nil
	}
	if err := cw.WriteHeader(&Header{Name: Trailer, Nlink: 1}); err != nil {
		return err
	}
	cw.closed = true
	return nil
}

// Size returns the number of bytes written so far.
func (cw *Writer) Size() int64 { return cw.n }

// Entries returns the number of entries written so far (with the trailer
// once closed).
func (cw *Writer) Entries() int { return cw.entries }

func (cw *Writer) write(p []byte) error {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return err
}

func pad4(n int) int { return (4 - n%4) % 4 }

// Reader reads a newc archive.
type Reader struct {
	r    *bufio.Reader
	n    int64
	left int64 // data bytes of the current entry not yet read
	pad  int   // padding after them
	done bool
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Next skips to the next entry and returns its header. It returns io.EOF
// after the trailer.
func (cr *Reader) Next() (*Header, error) {
	if cr.done {
		return nil, io.EOF
	}
	if err := cr.skip(cr.left + int64(cr.pad)); err != nil {
		return nil, err
	}
	cr.left, cr.pad = 0, 0
	var raw [HeaderSize]byte
	if err := cr.read(raw[:]); err != nil {
		return nil, fmt.Errorf("cpio: reading header at %d: %w", cr.n, noEOF(err))
	}
	if string(raw[:6]) != Magic {
		return nil, fmt.Errorf("cpio: bad magic %q at offset %d", raw[:6], cr.n-HeaderSize)
	}
	var f [13]uint32
	for i := range f {
		v, err := strconv.ParseUint(string(raw[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("cpio: bad header field %q at offset %d", raw[6+8*i:14+8*i], cr.n-HeaderSize)
		}
		f[i] = uint32(v)
	}
	namesize := int(f[11])
	if namesize < 1 || namesize > 1<<20 {
		return nil, fmt.Errorf("cpio: bad name size %d", namesize)
	}
	name := make([]byte, namesize+pad4(HeaderSize+namesize))
	if err := cr.read(name); err != nil {
		return nil, fmt.Errorf("cpio: reading name: %w", noEOF(err))
	}
	if name[namesize-1] != 0 {
		return nil, fmt.Errorf("cpio: name %q is not NUL-terminated", name[:namesize])
	}
	h := &Header{Name: string(name[:namesize-1]), Ino: f[0], Mode: f[1], UID: f[2], GID: f[3], Nlink: f[4], Mtime: f[5], Size: f[6]}
	if h.Name == Trailer {
		cr.done = true
		return nil, io.EOF
	}
	cr.left, cr.pad = int64(h.Size), pad4(int(h.Size))
	return h, nil
}

// Read reads data of the current entry.
func (cr *Reader) Read(p []byte) (int, error) {
	if cr.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > cr.left {
		p = p[:cr.left]
	}
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	cr.left -= int64(n)
	if err == io.EOF && cr.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (cr *Reader) read(p []byte) error {
	n, err := io.ReadFull(cr.r, p)
	cr.n += int64(n)
	return err
}

func (cr *Reader) skip(n int64) error {
	m, err := io.CopyN(io.Discard, cr.r, n)
	cr.n += m
	return noEOF(err)
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
