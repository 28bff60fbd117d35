package ext2

import (
	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/fs/bcache"
)

// Block and inode allocation (spec §Block Bitmap, §Inode Bitmap): one bit
// per block or inode of a group; the group descriptor and the superblock
// count the free ones, and every change keeps the three in step.

// groupBlocks returns the number of blocks in group g (the last one may be
// short).
func (f *fsys) groupBlocks(g uint32) uint32 {
	first := f.firstData + g*f.bpg
	if f.blocks-first < f.bpg {
		return f.blocks - first
	}
	return f.bpg
}

// findZero returns the first clear bit in bm[start:n), or -1.
func findZero(bm []byte, start, n uint32) int64 {
	for i := start; i < n; {
		if i&7 == 0 && i+8 <= n && bm[i>>3] == 0xFF {
			i += 8
			continue
		}
		if bm[i>>3]&(1<<(i&7)) == 0 {
			return int64(i)
		}
		i++
	}
	return -1
}

// addFree adds delta to the free-block count of group g's descriptor (and
// the superblock's).
func (f *fsys) addFree(gd []byte, field uint32, sbField uint32, delta int32) {
	put16(gd, field, uint32(int32(get16(gd, field))+delta))
	sb := f.sb()
	put32(sb, sbField, uint32(int32(get32(sb, sbField))+delta))
	f.sbDirty()
}

// allocBlock allocates a block, preferring goal and the blocks after it in
// its group, then the following groups.
func (f *fsys) allocBlock(goal uint32) (uint32, linux.Errno) {
	f.changed()
	if get32(f.sb(), sFreeBlocks) == 0 {
		return 0, linux.ENOSPC
	}
	if goal < f.firstData || goal >= f.blocks {
		goal = f.firstData
	}
	g0 := (goal - f.firstData) / f.bpg
	for k := uint32(0); k <= f.groups; k++ {
		g := (g0 + k) % f.groups
		gb, off, e := f.desc(g)
		if e != 0 {
			return 0, e
		}
		gd := f.c.Bytes(gb)[off:]
		if get16(gd, gFreeBlocks) == 0 {
			f.c.Release(gb)
			continue
		}
		bmb, e := f.c.Get(uint64(get32(gd, gBlockBitmap)))
		if e != 0 {
			f.c.Release(gb)
			return 0, e
		}
		bm := f.c.Bytes(bmb)
		n := f.groupBlocks(g)
		start := uint32(0)
		if k == 0 {
			start = goal - f.firstData - g*f.bpg
		}
		bit := findZero(bm, start, n)
		if bit < 0 && start > 0 {
			bit = findZero(bm, 0, start)
		}
		if bit < 0 {
			f.c.Release(bmb)
			f.c.Release(gb)
			corrupt(f, "group has free blocks by its descriptor but none in its bitmap: group", g)
			continue
		}
		bm[bit>>3] |= 1 << (bit & 7)
		f.c.MarkDirty(bmb, bcache.Meta)
		f.c.Release(bmb)
		f.addFree(gd, gFreeBlocks, sFreeBlocks, -1)
		f.c.MarkDirty(gb, bcache.Meta)
		f.c.Release(gb)
		return f.firstData + g*f.bpg + uint32(bit), 0
	}
	return 0, linux.ENOSPC
}

// freeBlock returns a block to its group and forgets its cached contents.
func (f *fsys) freeBlock(blk uint32) {
	f.changed()
	if !f.validBlock(blk) {
		corrupt(f, "freeing a block out of range", blk)
		return
	}
	gb, _, ok := f.freeBit((blk-f.firstData)/f.bpg, (blk-f.firstData)%f.bpg, gBlockBitmap, gFreeBlocks, sFreeBlocks, "freeing a free block", blk)
	if !ok {
		return
	}
	f.c.MarkDirty(gb, bcache.Meta)
	f.c.Release(gb)
	f.c.Forget(uint64(blk))
}

// freeBit clears bit in group g's block or inode bitmap (the descriptor
// field bitmapAt) and counts one more free in the group's countAt and the
// superblock's sCount. It returns the group descriptor's buffer, still
// held, and its bytes for further updates; ok is false (nothing held) when
// a block could not be read or the bit was already clear, which is
// reported as corruption (what, num).
func (f *fsys) freeBit(g, bit, bitmapAt, countAt, sCount uint32, what string, num uint32) (bcache.Buf, []byte, bool) {
	gb, off, e := f.desc(g)
	if e != 0 {
		return gb, nil, false
	}
	gd := f.c.Bytes(gb)[off:]
	bmb, e := f.c.Get(uint64(get32(gd, bitmapAt)))
	if e != 0 {
		f.c.Release(gb)
		return gb, nil, false
	}
	bm := f.c.Bytes(bmb)
	if bm[bit>>3]&(1<<(bit&7)) == 0 {
		f.c.Release(bmb)
		f.c.Release(gb)
		corrupt(f, what, num)
		return gb, nil, false
	}
	bm[bit>>3] &^= 1 << (bit & 7)
	f.c.MarkDirty(bmb, bcache.Meta)
	f.c.Release(bmb)
	f.addFree(gd, countAt, sCount, 1)
	return gb, gd, true
}

// groupCounts returns group g's free blocks, free inodes and directories.
func (f *fsys) groupCounts(g uint32) (freeB, freeI, dirs uint32, e linux.Errno) {
	gb, off, e := f.desc(g)
	if e != 0 {
		return 0, 0, 0, e
	}
	gd := f.c.Bytes(gb)[off:]
	freeB, freeI, dirs = get16(gd, gFreeBlocks), get16(gd, gFreeInodes), get16(gd, gUsedDirs)
	f.c.Release(gb)
	return freeB, freeI, dirs, 0
}

// pickGroup chooses the group of a new inode: for a directory, among the
// groups with at least the average of free inodes, the one with the most
// free blocks, searched from after the last directory's group (which
// spreads directories, as Linux's find_group_dir); for a file, its
// parent's group, then groups at growing distances (find_group_other).
func (f *fsys) pickGroup(parent uint32, dir bool) (uint32, linux.Errno) {
	pg := (parent - 1) / f.ipg
	if dir {
		avg := get32(f.sb(), sFreeInodes) / f.groups
		best, bestFree := int64(-1), uint32(0)
		for k := uint32(1); k <= f.groups; k++ {
			g := (f.lastGroup + k) % f.groups
			fb, fi, _, e := f.groupCounts(g)
			if e != 0 {
				return 0, e
			}
			if fi > 0 && fi >= avg && (best < 0 || fb > bestFree) {
				best, bestFree = int64(g), fb
			}
		}
		if best >= 0 {
			f.lastGroup = uint32(best)
			return uint32(best), 0
		}
	} else {
		if _, fi, _, e := f.groupCounts(pg); e != 0 {
			return 0, e
		} else if fi > 0 {
			return pg, 0
		}
		for d := uint32(1); d < f.groups; d <<= 1 {
			g := (pg + d) % f.groups
			fb, fi, _, e := f.groupCounts(g)
			if e != 0 {
				return 0, e
			}
			if fi > 0 && fb > 0 {
				return g, 0
			}
		}
	}
	for k := uint32(0); k < f.groups; k++ {
		g := (pg + k) % f.groups
		_, fi, _, e := f.groupCounts(g)
		if e != 0 {
			return 0, e
		}
		if fi > 0 {
			return g, 0
		}
	}
	return 0, linux.ENOSPC
}

// allocInode allocates an inode number for a child of parent.
func (f *fsys) allocInode(parent uint32, dir bool) (uint32, linux.Errno) {
	f.changed()
	if get32(f.sb(), sFreeInodes) == 0 {
		return 0, linux.ENOSPC
	}
	g, e := f.pickGroup(parent, dir)
	if e != 0 {
		return 0, e
	}
	for k := uint32(0); k < f.groups; k++ {
		gb, off, e := f.desc(g)
		if e != 0 {
			return 0, e
		}
		gd := f.c.Bytes(gb)[off:]
		if get16(gd, gFreeInodes) > 0 {
			bmb, e := f.c.Get(uint64(get32(gd, gInodeBitmap)))
			if e != 0 {
				f.c.Release(gb)
				return 0, e
			}
			bm := f.c.Bytes(bmb)
			start := uint32(0)
			if g == 0 {
				start = f.firstIno - 1 // reserved inodes
			}
			if bit := findZero(bm, start, f.ipg); bit >= 0 {
				bm[bit>>3] |= 1 << (bit & 7)
				f.c.MarkDirty(bmb, bcache.Meta)
				f.c.Release(bmb)
				f.addFree(gd, gFreeInodes, sFreeInodes, -1)
				if dir {
					put16(gd, gUsedDirs, get16(gd, gUsedDirs)+1)
				}
				f.c.MarkDirty(gb, bcache.Meta)
				f.c.Release(gb)
				return g*f.ipg + uint32(bit) + 1, 0
			}
			f.c.Release(bmb)
			corrupt(f, "group has free inodes by its descriptor but none in its bitmap: group", g)
		}
		f.c.Release(gb)
		g = (g + 1) % f.groups
	}
	return 0, linux.ENOSPC
}

// freeInode returns inode num to its group.
func (f *fsys) freeInode(num uint32, dir bool) {
	f.changed()
	gb, gd, ok := f.freeBit((num-1)/f.ipg, (num-1)%f.ipg, gInodeBitmap, gFreeInodes, sFreeInodes, "freeing a free inode", num)
	if !ok {
		return
	}
	if dir {
		if d := get16(gd, gUsedDirs); d > 0 {
			put16(gd, gUsedDirs, d-1)
		}
	}
	f.c.MarkDirty(gb, bcache.Meta)
	f.c.Release(gb)
}
