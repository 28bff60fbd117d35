package bcache

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/drivers/block/blockfile"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/mm/kmem"
)

var alloc buddy.Allocator

// setup gives kmem an arena and returns a device over a file of nblocks
// blocks of bsize bytes, block i filled with byte i.
func setup(t *testing.T, bsize, nblocks, maxSegs int) (*blockfile.File, string) {
	t.Helper()
	const base, size = 0x100000, 16 << 20
	arena.Setup(base, size)
	meta := mm.PageUp(buddy.MetaSize(base, base+size))
	alloc = buddy.Allocator{}
	alloc.Init(base, base+size, mm.PhysToVirt(base))
	alloc.AddRange(base+meta, base+size)
	kmem.Init(&alloc)
	block.Reset()
	path := filepath.Join(t.TempDir(), "disk.img")
	img := make([]byte, bsize*nblocks)
	for i := 0; i < nblocks; i++ {
		for j := 0; j < bsize; j++ {
			img[i*bsize+j] = byte(i)
		}
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := blockfile.Open(path, "vdb", false, maxSegs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

func newCache(t *testing.T, f *blockfile.File, bsize, maxBytes int) *Cache {
	t.Helper()
	c := new(Cache)
	if e := c.Init(f.Dev, uint32(bsize), maxBytes); e != 0 {
		t.Fatalf("Init: %v", e)
	}
	return c
}

func blockOf(t *testing.T, path string, bsize, i int) []byte {
	t.Helper()
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return img[i*bsize : (i+1)*bsize]
}

func TestGetReadsAndCaches(t *testing.T) {
	for _, bsize := range []int{1024, 2048, 4096} {
		f, _ := setup(t, bsize, 64, 8)
		c := newCache(t, f, bsize, 32*bsize)
		for round := 0; round < 2; round++ {
			for i := 0; i < 20; i++ {
				b, e := c.Get(uint64(i))
				if e != 0 {
					t.Fatalf("bsize %d: Get(%d) = %v", bsize, i, e)
				}
				if got := c.Bytes(b); !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, bsize)) {
					t.Fatalf("bsize %d: block %d has %d..., want %d", bsize, i, got[0], i)
				}
				c.Release(b)
			}
		}
		if f.Reads != 20 || c.Hits != 20 {
			t.Errorf("bsize %d: %d device reads, %d hits; want 20 and 20", bsize, f.Reads, c.Hits)
		}
	}
}

func TestWritebackOnSyncCoalesces(t *testing.T) {
	const bsize = 1024
	f, path := setup(t, bsize, 64, 4)
	c := newCache(t, f, bsize, 64*bsize)
	// Dirty blocks 10..19 in reverse order, and 30.
	for _, i := range []int{19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 30} {
		b, e := c.Get(uint64(i))
		if e != 0 {
			t.Fatal(e)
		}
		copy(c.Bytes(b), bytes.Repeat([]byte{0xA0 + byte(i)}, bsize))
		c.MarkDirty(b, Meta)
		c.Release(b)
	}
	if got := blockOf(t, path, bsize, 10)[0]; got != 10 {
		t.Fatalf("block 10 written before sync: %#x", got)
	}
	f.Writes = 0
	if e := c.Sync(); e != 0 {
		t.Fatal(e)
	}
	// 10 consecutive blocks in requests of ≤ 4 segments: 3 requests, + 1 for block 30.
	if f.Writes != 4 || f.Flushes != 1 {
		t.Errorf("sync: %d write requests, %d flushes; want 4 and 1", f.Writes, f.Flushes)
	}
	for _, i := range []int{10, 15, 19, 30} {
		if got := blockOf(t, path, bsize, i)[bsize-1]; got != 0xA0+byte(i) {
			t.Errorf("block %d on disk = %#x; want %#x", i, got, 0xA0+byte(i))
		}
	}
	if c.Dirty() != 0 {
		t.Errorf("%d dirty after sync", c.Dirty())
	}
}

func TestSyncOwner(t *testing.T) {
	const bsize = 4096
	f, path := setup(t, bsize, 16, 8)
	c := newCache(t, f, bsize, 16*bsize)
	dirty := func(i int, owner uint32) {
		b, e := c.Get(uint64(i))
		if e != 0 {
			t.Fatal(e)
		}
		c.Bytes(b)[0] = 0xEE
		c.MarkDirty(b, owner)
		c.Release(b)
	}
	dirty(1, Meta)
	dirty(2, 12) // data of inode 12
	dirty(3, 13) // data of inode 13
	if e := c.SyncOwner(12); e != 0 {
		t.Fatal(e)
	}
	for _, tc := range []struct {
		blk  int
		want byte
	}{{1, 0xEE}, {2, 0xEE}, {3, 3}} {
		if got := blockOf(t, path, bsize, tc.blk)[0]; got != tc.want {
			t.Errorf("after SyncOwner(12): block %d = %#x; want %#x", tc.blk, got, tc.want)
		}
	}
	if c.Dirty() != 1 || f.Flushes != 1 {
		t.Errorf("dirty %d, flushes %d; want 1 and 1", c.Dirty(), f.Flushes)
	}
}

func TestPressureWritesBack(t *testing.T) {
	const bsize = 1024
	f, path := setup(t, bsize, 200, 16)
	c := newCache(t, f, bsize, 16*bsize) // 16 buffers
	for i := 0; i < 100; i++ {
		b, e := c.GetZero(uint64(i), 20)
		if e != 0 {
			t.Fatalf("GetZero(%d): %v", i, e)
		}
		c.Bytes(b)[7] = 0x55
		c.Release(b)
	}
	if n, max := c.Buffers(); n != max || max != 16 {
		t.Errorf("buffers %d of %d; want 16 of 16", n, max)
	}
	if f.Flushes != 0 {
		t.Errorf("pressure write-back flushed the device")
	}
	// Everything but the last ≤16 blocks is on disk already.
	for i := 0; i < 84; i++ {
		if got := blockOf(t, path, bsize, i); got[7] != 0x55 || got[0] != 0 {
			t.Fatalf("block %d on disk = %#x,%#x; want 0,0x55", i, got[0], got[7])
		}
	}
	c.Sync()
	for i := 84; i < 100; i++ {
		if got := blockOf(t, path, bsize, i); got[7] != 0x55 {
			t.Fatalf("block %d on disk after sync = %#x", i, got[7])
		}
	}
}

func TestAllReferencedIsENOMEM(t *testing.T) {
	f, _ := setup(t, 1024, 64, 4)
	c := newCache(t, f, 1024, 0) // minimum: 16 buffers
	var held []Buf
	for i := 0; i < 16; i++ {
		b, e := c.Get(uint64(i))
		if e != 0 {
			t.Fatal(e)
		}
		held = append(held, b)
	}
	if _, e := c.Get(40); e != linux.ENOMEM {
		t.Errorf("Get with every buffer held = %v; want ENOMEM", e)
	}
	c.Release(held[3])
	b, e := c.Get(40)
	if e != 0 || c.Bytes(b)[0] != 40 {
		t.Errorf("Get after a release = %v", e)
	}
}

func TestForgetDropsDirtyData(t *testing.T) {
	f, path := setup(t, 1024, 16, 4)
	c := newCache(t, f, 1024, 0)
	b, _ := c.Get(5)
	c.Bytes(b)[0] = 0x77
	c.MarkDirty(b, 12)
	c.Release(b)
	c.Forget(5)
	c.Sync()
	if got := blockOf(t, path, 1024, 5)[0]; got != 5 {
		t.Errorf("forgotten block written: %#x", got)
	}
	b, _ = c.Get(5)
	if got := c.Bytes(b)[0]; got != 5 {
		t.Errorf("Get after Forget = %#x; want the disk's 5", got)
	}
}

func TestWriteErrorIsSticky(t *testing.T) {
	f, _ := setup(t, 1024, 16, 4)
	c := newCache(t, f, 1024, 0)
	b, _ := c.Get(2)
	c.MarkDirty(b, Meta)
	c.Release(b)
	f.FailWrite = true
	if e := c.Sync(); e != linux.EIO {
		t.Fatalf("Sync with a failing device = %v; want EIO", e)
	}
	f.FailWrite = false
	if e := c.Sync(); e != linux.EIO {
		t.Errorf("second Sync = %v; want the sticky EIO", e)
	}
	c.ClearError()
	if e := c.Sync(); e != 0 || c.Dirty() != 0 {
		t.Errorf("Sync after ClearError = %v, %d dirty", e, c.Dirty())
	}
}

func TestPrefetch(t *testing.T) {
	f, _ := setup(t, 4096, 64, 8)
	c := newCache(t, f, 4096, 64*4096)
	b, _ := c.Get(3)
	c.Release(b)
	f.Reads = 0
	c.Prefetch(0, 20) // 0-2, then 4-11, 12-19
	if f.Reads != 3 {
		t.Errorf("Prefetch(0, 20): %d requests; want 3", f.Reads)
	}
	for i := 0; i < 20; i++ {
		b, e := c.Get(uint64(i))
		if e != 0 || c.Bytes(b)[100] != byte(i) {
			t.Fatalf("block %d after prefetch: %v %d", i, e, c.Bytes(b)[100])
		}
		c.Release(b)
	}
	if f.Reads != 3 {
		t.Errorf("Get after Prefetch read the device (%d requests)", f.Reads)
	}
}
