package cpio

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestWriterGolden(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.WriteHeader(&Header{Name: "a", Mode: TypeReg | 0o644, Ino: 1, Nlink: 1, Mtime: 0x5f5e100, Size: 3}); err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hi\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "070701" + "00000001" + "000081A4" + "00000000" + "00000000" + "00000001" + "05F5E100" + "00000003" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000002" + "00000000" + "a\x00" + // 112 bytes: no name padding
		"hi\n\x00" + // data padded to 4
		"070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" +
		"00000000" + "00000000" + "00000000" + "00000000" + "0000000B" + "00000000" + "TRAILER!!!\x00" + "\x00\x00\x00"
	if got := b.String(); got != want {
		t.Errorf("archive = %q\nwant      %q", got, want)
	}
	if w.Size() != int64(len(want)) || w.Entries() != 2 {
		t.Errorf("Size, Entries = %d, %d; want %d, 2", w.Size(), w.Entries(), len(want))
	}
}

type entry struct {
	H    Header
	Data string
}

func TestRoundTrip(t *testing.T) {
	in := []entry{
		{Header{Name: "etc", Mode: TypeDir | 0o755, Ino: 1, Nlink: 2, Mtime: 1700000000}, ""},
		{Header{Name: "etc/hosts", Mode: TypeReg | 0o644, Ino: 2, Nlink: 1, Mtime: 1700000001}, "127.0.0.1 localhost\n"},
		{Header{Name: "etc/link", Mode: TypeLink | 0o777, Ino: 3, Nlink: 1}, "hosts"},
		{Header{Name: "empty", Mode: TypeReg | 0o600, Ino: 4, Nlink: 1}, ""},
		{Header{Name: "x/abcdefgh", Mode: TypeReg | 0o755, Ino: 5, Nlink: 1}, strings.Repeat("z", 4097)},
	}
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, e := range in {
		h := e.H
		h.Size = uint32(len(e.Data))
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b.Len()%4 != 0 {
		t.Errorf("archive size %d is not a multiple of 4", b.Len())
	}
	var out []entry
	r := NewReader(&b)
	for i := 0; ; i++ {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		// Read only part of one entry: Next must skip the rest.
		var data []byte
		if i == 4 {
			data = make([]byte, 10)
			io.ReadFull(r, data)
			data = append(data, strings.Repeat("z", 4087)...)
		} else if data, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		h.Size = 0
		out = append(out, entry{*h, string(data)})
	}
	if len(out) != len(in) {
		t.Fatalf("read %d entries; want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("entry %d = %+v, %d bytes; want %+v, %d bytes", i, out[i].H, len(out[i].Data), in[i].H, len(in[i].Data))
		}
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.WriteHeader(&Header{Name: ""}); err == nil {
		t.Error("empty name accepted")
	}
	if err := w.WriteHeader(&Header{Name: "a\x00b"}); err == nil {
		t.Error("name with NUL accepted")
	}
	w.WriteHeader(&Header{Name: "f", Size: 2})
	if _, err := w.Write([]byte("abc")); err == nil {
		t.Error("writing past the size succeeded")
	}
	w.Write([]byte("a"))
	if err := w.Close(); err == nil {
		t.Error("Close with a short entry succeeded")
	}
}

func TestReaderErrors(t *testing.T) {
	for _, in := range []string{"", "070701", "070702" + strings.Repeat("0", 104), "070701" + strings.Repeat("G", 104)} {
		if h, err := NewReader(strings.NewReader(in)).Next(); err == nil || err == io.EOF {
			t.Errorf("Next(%q) = %+v, %v; want an error", in, h, err)
		}
	}
}
