// Package bcache is the buffer cache of block file systems: a bounded set of
// fixed-size block buffers in kernel memory (kmem) over one block device
// ([block.Device]), found by block number through a hash table, recycled in
// least-recently-used order, written back lazily.
//
// # Dirty tracking and write-back
//
// A file system changes a buffer's bytes in place and calls
// [Cache.MarkDirty] with the buffer's owner: the inode number whose file
// data the block holds, or [Meta] for metadata (superblock, group
// descriptors, bitmaps, inode tables, directories, indirect blocks). Nothing
// is written until one of:
//
//   - [Cache.SyncOwner] (fsync): the owner's dirty data blocks, then every
//     dirty metadata block, then a device flush. Writing all metadata, not
//     only the inode's, keeps the image consistent (fsck-clean) after every
//     fsync; data blocks of other files stay in memory.
//   - [Cache.Sync] (sync, syncfs, unmount): every dirty block, then a flush.
//   - pressure: a buffer is needed, every unreferenced buffer is dirty: all
//     dirty blocks are written (no flush — durability is only promised by
//     the two calls above).
//
// Write-back sorts the blocks by number and sends runs of consecutive blocks
// as one request of up to [block.Device.MaxSegs] segments, straight from the
// buffers (no copy). A write error is sticky: it is returned by every later
// sync until [Cache.ClearError], so an fsync never reports success for data
// that did not reach the device.
//
// # Concurrency
//
// None inside: the caller serializes all calls on one cache (the vfs holds a
// per-mount sleeping lock). Calls that do I/O sleep until the device
// completes. Everything runs in trap context: no Go heap, no pointer-typed
// stores (ADR 0001); the device is kept as an address.
package bcache

import (
	"unsafe"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/drivers/block"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/kmem"
)

// Buf is a referenced buffer (the kernel address of its header); 0 is none.
type Buf uintptr

// Meta is the owner of metadata blocks.
const Meta = 0

// hdr is a buffer header in kernel memory.
type hdr struct {
	blk        uint64
	data       uintptr // bsize bytes (kmem)
	hnext      uintptr // hash chain
	prev, next uintptr // LRU list, head = most recently used
	refs       int32
	flags      uint32
	owner      uint32
}

const hdrSize = unsafe.Sizeof(hdr{})

const (
	fValid  = 1 << iota // data holds the block's contents
	fDirty              // data differs from the device
	fHashed             // on its hash chain
)

// maxSegs bounds the segments of one write-back request.
const maxSegs = 64

// Cache is one device's buffer cache. The zero value is unusable: call
// [Cache.Init]. A Cache may live in kernel memory (it holds no Go pointers).
type Cache struct {
	dev      uintptr // *block.Device (static registry storage)
	bsize    uint32
	spb      uint64 // sectors per block
	max      int    // buffers allowed
	n        int    // buffers allocated
	ndirty   int
	hash     uintptr // nbuckets × uintptr
	nbuckets uint64
	head     uintptr // LRU
	tail     uintptr
	sorted   uintptr // max × uintptr, scratch for write-back
	err      linux.Errno
	segs     [maxSegs]block.Seg

	// Counters (for tests and statistics).
	Hits, Misses, Reads, Writes, Flushes, Requests uint64
}

func h(b uintptr) *hdr { return (*hdr)(mm.Ptr(b)) }

func slot(base uintptr, i uint64) *uintptr {
	return (*uintptr)(mm.Ptr(base + uintptr(i)*unsafe.Sizeof(uintptr(0))))
}

// Init sets up c for dev with blocks of bsize bytes (512..4096, a power of
// two) holding at most maxBytes of blocks (at least 16 buffers).
func (c *Cache) Init(dev *block.Device, bsize uint32, maxBytes int) linux.Errno {
	*c = Cache{}
	if bsize < block.SectorSize || bsize > mm.PageSize || bsize&(bsize-1) != 0 {
		return linux.EINVAL
	}
	c.dev = uintptr(unsafe.Pointer(dev))
	c.bsize = bsize
	c.spb = uint64(bsize / block.SectorSize)
	c.max = maxBytes / int(bsize)
	if c.max < 16 {
		c.max = 16
	}
	c.nbuckets = 1
	for c.nbuckets < uint64(c.max) {
		c.nbuckets <<= 1
	}
	var ok bool
	if c.hash, ok = kmem.Alloc(uintptr(c.nbuckets) * unsafe.Sizeof(uintptr(0))); !ok {
		return linux.ENOMEM
	}
	if c.sorted, ok = kmem.Alloc(uintptr(c.max) * unsafe.Sizeof(uintptr(0))); !ok {
		kmem.Free(c.hash, uintptr(c.nbuckets)*unsafe.Sizeof(uintptr(0)))
		return linux.ENOMEM
	}
	return 0
}

// Destroy frees every buffer, dirty or not (call Sync first).
func (c *Cache) Destroy() {
	for b := c.head; b != 0; {
		next := h(b).next
		kmem.Free(h(b).data, uintptr(c.bsize))
		kmem.Free(b, hdrSize)
		b = next
	}
	kmem.Free(c.hash, uintptr(c.nbuckets)*unsafe.Sizeof(uintptr(0)))
	kmem.Free(c.sorted, uintptr(c.max)*unsafe.Sizeof(uintptr(0)))
	*c = Cache{}
}

// Device returns the cache's device.
func (c *Cache) Device() *block.Device { return (*block.Device)(mm.Ptr(c.dev)) }

// BlockSize returns the block size.
func (c *Cache) BlockSize() uint32 { return c.bsize }

// Dirty returns the number of dirty buffers.
func (c *Cache) Dirty() int { return c.ndirty }

// Buffers returns the number of buffers allocated and the most allowed.
func (c *Cache) Buffers() (n, max int) { return c.n, c.max }

// Addr returns the kernel address of b's bytes.
func Addr(b Buf) uintptr { return h(uintptr(b)).data }

// Bytes returns b's block (bsize bytes), valid while b is referenced.
func (c *Cache) Bytes(b Buf) []byte {
	return unsafe.Slice((*byte)(mm.Ptr(h(uintptr(b)).data)), c.bsize)
}

// Block returns b's block number.
func Block(b Buf) uint64 { return h(uintptr(b)).blk }

func (c *Cache) bucket(blk uint64) *uintptr {
	return slot(c.hash, (blk*0x9E3779B97F4A7C15>>32)&(c.nbuckets-1))
}

func (c *Cache) find(blk uint64) uintptr {
	for b := *c.bucket(blk); b != 0; b = h(b).hnext {
		if h(b).blk == blk {
			return b
		}
	}
	return 0
}

func (c *Cache) unhash(b uintptr) {
	for p := c.bucket(h(b).blk); *p != 0; p = &h(*p).hnext {
		if *p == b {
			*p = h(b).hnext
			h(b).hnext = 0
			return
		}
	}
}

func (c *Cache) lruRemove(b uintptr) {
	x := h(b)
	if x.prev != 0 {
		h(x.prev).next = x.next
	} else {
		c.head = x.next
	}
	if x.next != 0 {
		h(x.next).prev = x.prev
	} else {
		c.tail = x.prev
	}
	x.prev, x.next = 0, 0
}

func (c *Cache) lruFront(b uintptr) {
	x := h(b)
	x.prev, x.next = 0, c.head
	if c.head != 0 {
		h(c.head).prev = b
	} else {
		c.tail = b
	}
	c.head = b
}

// grab returns an unreferenced buffer header for blk, hashed, at the LRU
// front, with refs 1 and flags 0. It allocates a new buffer while under the
// limit, else recycles the least recently used clean one, writing back all
// dirty blocks when every candidate is dirty.
func (c *Cache) grab(blk uint64) (uintptr, linux.Errno) {
	var b uintptr
	if c.n < c.max {
		if hb, ok := kmem.Alloc(hdrSize); ok {
			if d, ok := kmem.Alloc(uintptr(c.bsize)); ok {
				h(hb).data = d
				b = hb
				c.n++
			} else {
				kmem.Free(hb, hdrSize)
			}
		}
	}
	for pass := 0; b == 0; pass++ {
		for v := c.tail; v != 0; v = h(v).prev {
			if h(v).refs == 0 && h(v).flags&fDirty == 0 {
				b = v
				break
			}
		}
		if b != 0 {
			c.lruRemove(b)
			if h(b).flags&fHashed != 0 {
				c.unhash(b)
			}
			break
		}
		if pass > 0 || c.ndirty == 0 {
			return 0, linux.ENOMEM // every buffer is referenced
		}
		if e := c.writeback(false, 0); e != 0 {
			return 0, e
		}
	}
	x := h(b)
	x.blk, x.refs, x.flags, x.owner = blk, 1, fHashed, Meta
	x.hnext = *c.bucket(blk)
	*c.bucket(blk) = b
	c.lruFront(b)
	return b, 0
}

// lookup returns blk's buffer, referenced and moved to the LRU front, or 0.
func (c *Cache) lookup(blk uint64) uintptr {
	b := c.find(blk)
	if b == 0 {
		return 0
	}
	h(b).refs++
	if c.head != b {
		c.lruRemove(b)
		c.lruFront(b)
	}
	return b
}

// Get returns block blk, read from the device if it is not cached. Release
// it when done.
func (c *Cache) Get(blk uint64) (Buf, linux.Errno) {
	b := c.lookup(blk)
	if b != 0 && h(b).flags&fValid != 0 {
		c.Hits++
		return Buf(b), 0
	}
	c.Misses++
	if b == 0 {
		var e linux.Errno
		if b, e = c.grab(blk); e != 0 {
			return 0, e
		}
	}
	c.segs[0] = block.Seg{VA: h(b).data, Len: c.bsize}
	if e := c.transfer(false, blk, c.segs[:1]); e != 0 {
		h(b).refs--
		return 0, e
	}
	c.Reads++
	h(b).flags |= fValid
	return Buf(b), 0
}

// GetZero returns block blk zero-filled and dirty (owner), without reading
// it: for blocks just allocated.
func (c *Cache) GetZero(blk uint64, owner uint32) (Buf, linux.Errno) {
	b := c.lookup(blk)
	if b == 0 {
		var e linux.Errno
		if b, e = c.grab(blk); e != 0 {
			return 0, e
		}
	}
	mm.Zero(h(b).data, uintptr(c.bsize))
	h(b).flags |= fValid
	c.MarkDirty(Buf(b), owner)
	return Buf(b), 0
}

// Prefetch reads the uncached blocks among [blk, blk+n) with as few
// requests as it can (a read-ahead hint: errors are ignored, the blocks are
// read again by Get).
func (c *Cache) Prefetch(blk uint64, n int) {
	d := c.Device()
	for n > 0 {
		// Skip cached blocks.
		if b := c.find(blk); b != 0 && h(b).flags&fValid != 0 {
			blk++
			n--
			continue
		}
		// Collect a run of uncached blocks into fresh buffers.
		var run [maxSegs]uintptr
		k := 0
		for k < n && k < d.MaxSegs && k < maxSegs && (d.MaxBytes == 0 || uint32(k+1)*c.bsize <= d.MaxBytes) {
			if c.find(blk+uint64(k)) != 0 {
				break
			}
			b, e := c.grab(blk + uint64(k))
			if e != 0 {
				break
			}
			run[k] = b
			c.segs[k] = block.Seg{VA: h(b).data, Len: c.bsize}
			k++
		}
		if k == 0 {
			return
		}
		e := c.transfer(false, blk, c.segs[:k])
		for i := 0; i < k; i++ {
			h(run[i]).refs--
			if e == 0 {
				h(run[i]).flags |= fValid
				c.Reads++
			} else {
				c.drop(run[i])
			}
		}
		if e != 0 {
			return
		}
		blk += uint64(k)
		n -= k
	}
}

// drop removes an unreferenced buffer from the hash (it stays allocated,
// at the LRU tail, for reuse).
func (c *Cache) drop(b uintptr) {
	if h(b).flags&fDirty != 0 {
		c.ndirty--
	}
	c.unhash(b)
	h(b).flags = 0
	h(b).owner = Meta
	c.lruRemove(b)
	x := h(b)
	x.next, x.prev = 0, c.tail
	if c.tail != 0 {
		h(c.tail).next = b
	} else {
		c.head = b
	}
	c.tail = b
}

// Release drops the reference Get or GetZero returned.
func (c *Cache) Release(b Buf) {
	if b != 0 {
		h(uintptr(b)).refs--
	}
}

// MarkDirty records that b's bytes changed; owner is the inode whose file
// data b holds, or [Meta].
func (c *Cache) MarkDirty(b Buf, owner uint32) {
	x := h(uintptr(b))
	if x.flags&fDirty == 0 {
		x.flags |= fDirty
		c.ndirty++
	}
	x.owner = owner
}

// Forget discards block blk's cached contents (the block was freed): a
// dirty buffer is not written.
func (c *Cache) Forget(blk uint64) {
	b := c.find(blk)
	if b == 0 || h(b).refs != 0 {
		return
	}
	c.drop(b)
}

// SyncOwner writes owner's dirty data blocks and every dirty metadata block,
// then flushes the device (fsync). owner Meta writes only metadata.
func (c *Cache) SyncOwner(owner uint32) linux.Errno {
	if e := c.writeback(true, owner); e != 0 {
		return e
	}
	return c.flush()
}

// Sync writes every dirty block and flushes the device.
func (c *Cache) Sync() linux.Errno {
	if e := c.writeback(false, 0); e != 0 {
		return e
	}
	return c.flush()
}

// Err returns the sticky write error (0 if none).
func (c *Cache) Err() linux.Errno { return c.err }

// ClearError forgets a write error.
func (c *Cache) ClearError() { c.err = 0 }

func (c *Cache) flush() linux.Errno {
	if c.err != 0 {
		return c.err
	}
	d := c.Device()
	if d.Flush == nil {
		return 0
	}
	c.Flushes++
	if e := d.Flush(d); e != 0 {
		c.err = linux.EIO
		return linux.EIO
	}
	return 0
}

func (c *Cache) transfer(write bool, blk uint64, segs []block.Seg) linux.Errno {
	d := c.Device()
	c.Requests++
	return d.Transfer(d, write, blk*c.spb, segs)
}

// writeback writes dirty buffers: with selective, owner's data blocks first
// and then all metadata blocks; otherwise every dirty block. Blocks go in
// ascending order, consecutive ones in one request.
func (c *Cache) writeback(selective bool, owner uint32) linux.Errno {
	if c.ndirty == 0 {
		return c.err
	}
	if selective {
		if owner != Meta {
			if e := c.writeSet(true, owner); e != 0 {
				return e
			}
		}
		return c.writeSet(true, Meta)
	}
	return c.writeSet(false, 0)
}

// writeSet writes the dirty buffers with the given owner (all dirty
// buffers if !match).
func (c *Cache) writeSet(match bool, owner uint32) linux.Errno {
	n := 0
	for b := c.head; b != 0; b = h(b).next {
		if h(b).flags&fDirty != 0 && (!match || h(b).owner == owner) {
			*slot(c.sorted, uint64(n)) = b
			n++
		}
	}
	if n == 0 {
		return c.err
	}
	c.sortByBlock(n)
	d := c.Device()
	limit := d.MaxSegs
	if limit > maxSegs {
		limit = maxSegs
	}
	if d.MaxBytes != 0 && int(d.MaxBytes/c.bsize) < limit {
		limit = int(d.MaxBytes / c.bsize)
		if limit < 1 {
			limit = 1
		}
	}
	var failed linux.Errno
	for i := 0; i < n; {
		first := *slot(c.sorted, uint64(i))
		k := 1
		c.segs[0] = block.Seg{VA: h(first).data, Len: c.bsize}
		for i+k < n && k < limit {
			nb := *slot(c.sorted, uint64(i+k))
			if h(nb).blk != h(first).blk+uint64(k) {
				break
			}
			c.segs[k] = block.Seg{VA: h(nb).data, Len: c.bsize}
			k++
		}
		e := c.transfer(true, h(first).blk, c.segs[:k])
		if e != 0 {
			// Keep the buffers dirty (a later sync retries) and remember
			// that durability was lost.
			c.err = linux.EIO
			failed = linux.EIO
		} else {
			for j := 0; j < k; j++ {
				b := *slot(c.sorted, uint64(i+j))
				h(b).flags &^= fDirty
				c.ndirty--
				c.Writes++
			}
		}
		i += k
	}
	if failed != 0 {
		return failed
	}
	return c.err
}

// sortByBlock heap-sorts the first n entries of c.sorted by block number.
func (c *Cache) sortByBlock(n int) {
	for i := n/2 - 1; i >= 0; i-- {
		c.siftDown(i, n)
	}
	for end := n - 1; end > 0; end-- {
		c.swap(0, end)
		c.siftDown(0, end)
	}
}

func (c *Cache) key(i int) uint64 { return h(*slot(c.sorted, uint64(i))).blk }

func (c *Cache) swap(i, j int) {
	a, b := slot(c.sorted, uint64(i)), slot(c.sorted, uint64(j))
	*a, *b = *b, *a
}

func (c *Cache) siftDown(i, n int) {
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		if r := l + 1; r < n && c.key(r) > c.key(l) {
			l = r
		}
		if c.key(i) >= c.key(l) {
			return
		}
		c.swap(i, l)
		i = l
	}
}

// Cached reports whether block blk's contents are in the cache.
func (c *Cache) Cached(blk uint64) bool {
	b := c.find(blk)
	return b != 0 && h(b).flags&fValid != 0
}
