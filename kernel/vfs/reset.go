package vfs

import "unigo.dev/unigo/kernel/abi/linux"

// ResetForTests forgets every mount, cached driver inode and registered
// driver and makes a new, empty root. It is for hosted tests of drivers
// (kernel/fs/...), which set up fresh kernel memory for each test; the
// kernel never calls it.
func ResetForTests() linux.Errno {
	mounts = [maxMounts]MountPoint{}
	cache = [maxMounts]cacheState{}
	hash = [hashSize]Ino{}
	registered = [maxFS]*FileSystem{}
	root, nextIno = 0, 1
	return Init()
}
