package p9

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
	"unigo.dev/unigo/kernel/internal/arena"
	"unigo.dev/unigo/kernel/mm"
	"unigo.dev/unigo/kernel/mm/buddy"
	"unigo.dev/unigo/kernel/mm/kmem"
	"unigo.dev/unigo/kernel/vfs"
)

// Hosted tests of the driver through the vfs, against fakeServer over a
// t.TempDir(): what the guest does must be what the host directory shows.

var (
	memOnce  sync.Once
	alloc    buddy.Allocator
	mountNum int
)

// share mounts a fake server over a new host directory at a new guest
// directory and returns both.
func share(t *testing.T, tweak func(sv *fakeServer)) (*fakeServer, vfs.Ino, linux.Errno) {
	t.Helper()
	memOnce.Do(func() {
		const base, size = 0x100000, 64 << 20
		arena.Setup(base, size)
		meta := mm.PageUp(buddy.MetaSize(base, base+size))
		alloc.Init(base, base+size, mm.PhysToVirt(base))
		alloc.AddRange(base+meta, base+size)
		kmem.Init(&alloc)
		vfs.WaitOn = func(uintptr) {}
		vfs.WakeAll = func(uintptr) {}
		if e := vfs.Init(); e != 0 {
			panic(e)
		}
		vfs.Register(&FS)
	})
	sv := newServer(t.TempDir())
	if tweak != nil {
		tweak(sv)
	}
	exchange = sv.exchange
	t.Cleanup(func() { exchange = virtioExchange })

	s := &sessions[0]
	*s = session{ready: true}
	s.tagLen = copy(s.tag[:], "hosttag")
	nSessions = 1
	var ok bool
	for _, p := range []*uintptr{&s.req, &s.rep} {
		if *p, ok = kmem.Alloc(msize); !ok {
			t.Fatal("out of kernel memory")
		}
	}
	s.dirBuf, _ = kmem.Alloc(dirBufSize)
	s.fids, _ = kmem.Alloc(maxFids / 8)

	mountNum++
	name := []byte(fmt.Sprintf("mnt%d", mountNum))
	dir, e := vfs.Create(vfs.Root(), name, linux.S_IFDIR|0o755, 0, 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if e := vfs.Mount([]byte("hosttag"), dir, []byte("9p"), false); e != 0 {
		return sv, 0, e
	}
	root, e := vfs.Lookup(vfs.Root(), name)
	if e != 0 {
		t.Fatal(e)
	}
	return sv, root, 0
}

func mustShare(t *testing.T, tweak func(sv *fakeServer)) (*fakeServer, vfs.Ino) {
	t.Helper()
	sv, root, e := share(t, tweak)
	if e != 0 {
		t.Fatalf("mount: %v", e)
	}
	return sv, root
}

func resolve(t *testing.T, dir vfs.Ino, path string) vfs.Ino {
	t.Helper()
	i, e := vfs.Resolve(dir, []byte(path), vfs.Follow)
	if e != 0 {
		t.Fatalf("Resolve(%q) = %v", path, e)
	}
	return i
}

func readAll(t *testing.T, i vfs.Ino) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 100000)
	for {
		n, e := vfs.Read(i, int64(len(out)), buf)
		if e != 0 {
			t.Fatalf("Read = %v", e)
		}
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func listNames(t *testing.T, dir vfs.Ino) []string {
	t.Helper()
	var names []string
	for cookie := int64(0); ; {
		ent, next, ok, e := vfs.ReadDir(dir, cookie)
		if e != 0 {
			t.Fatalf("ReadDir(%d) = %v", cookie, e)
		}
		if !ok {
			return names
		}
		names = append(names, string(ent.Name()))
		cookie = next
	}
}

func TestFileData(t *testing.T) {
	sv, root := mustShare(t, func(sv *fakeServer) { sv.msize = 8192 })
	if got := sessions[0].msize; got != 8192 {
		t.Errorf("negotiated msize = %d; want the server's 8192", got)
	}
	host := make([]byte, 100000)
	for i := range host {
		host[i] = byte(i * 13)
	}
	os.WriteFile(filepath.Join(sv.root, "host.bin"), host, 0o644)
	if got := readAll(t, resolve(t, root, "host.bin")); !bytes.Equal(got, host) {
		t.Errorf("read host.bin: %d bytes, differ from the host's", len(got))
	}
	if n := sv.count[msgTread]; n < len(host)/(8192-ioHdrSize) {
		t.Errorf("%d Treads for %d bytes with msize 8192: reads were not split", n, len(host))
	}

	f, e := vfs.Create(root, []byte("guest.bin"), linux.S_IFREG|0o640, 0, 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if e := vfs.Open(f, linux.O_RDWR); e != 0 {
		t.Fatal(e)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 2000)
	if n, e := vfs.Write(f, 10, data); n != len(data) || e != 0 {
		t.Fatalf("Write = %d, %v", n, e)
	}
	got, _ := os.ReadFile(filepath.Join(sv.root, "guest.bin"))
	if !bytes.Equal(got[10:], data) || !bytes.Equal(got[:10], make([]byte, 10)) {
		t.Errorf("the host's guest.bin is not what the guest wrote (%d bytes)", len(got))
	}
	if st := vfs.GetStat(f); st.Size != int64(10+len(data)) || st.Mode != linux.S_IFREG|0o640 {
		t.Errorf("stat = size %d mode %o; want %d, %o", st.Size, st.Mode, 10+len(data), linux.S_IFREG|0o640)
	}
	if e := vfs.Truncate(f, 5); e != 0 || vfs.Size(f) != 5 {
		t.Errorf("Truncate = %v, size %d", e, vfs.Size(f))
	}
	vfs.Unref(f)

	// An open file stays readable when its name goes (the host file is
	// open on the server since open(2)).
	os.WriteFile(filepath.Join(sv.root, "doomed"), []byte("still here"), 0o644)
	d := resolve(t, root, "doomed")
	if e := vfs.Open(d, linux.O_RDONLY); e != 0 {
		t.Fatal(e)
	}
	if e := vfs.Unlink(root, []byte("doomed")); e != 0 {
		t.Fatal(e)
	}
	if got := readAll(t, d); string(got) != "still here" {
		t.Errorf("unlinked open file reads %q", got)
	}
	vfs.Unref(d)
	if _, err := os.Lstat(filepath.Join(sv.root, "doomed")); !os.IsNotExist(err) {
		t.Errorf("doomed still on the host: %v", err)
	}
}

func TestDirectories(t *testing.T) {
	sv, root := mustShare(t, nil)
	os.Mkdir(filepath.Join(sv.root, "many"), 0o755)
	var want []string
	for k := 0; k < 500; k++ {
		n := fmt.Sprintf("entry-with-a-long-name-%04d", k)
		want = append(want, n)
		os.WriteFile(filepath.Join(sv.root, "many", n), nil, 0o644)
	}
	many := resolve(t, root, "many")
	got := listNames(t, many)
	slices.Sort(got)
	if !slices.Equal(got[2:], want) || got[0] != "." || got[1] != ".." {
		t.Errorf("listing has %d names; want . .. and the host's %d", len(got), len(want))
	}
	if sv.count[msgTreaddir] < 3 {
		t.Errorf("%d Treaddirs for 500 entries: want several batches", sv.count[msgTreaddir])
	}
	// A listing that resumes after other work (the cache serves another
	// directory meanwhile) and survives removals of listed names.
	var seen []string
	cookie := int64(0)
	for k := 0; ; k++ {
		ent, next, ok, e := vfs.ReadDir(many, cookie)
		if e != 0 || !ok {
			break
		}
		name := string(ent.Name())
		seen = append(seen, name)
		if name != "." && name != ".." {
			if e := vfs.Unlink(many, []byte(name)); e != 0 {
				t.Fatalf("unlink %s: %v", name, e)
			}
		}
		if k%50 == 0 {
			listNames(t, root)
		}
		cookie = next
	}
	if len(seen) != 502 {
		t.Errorf("reading while removing saw %d names; want all 502 once", len(seen))
	}

	// mkdir, rename, rmdir, link, symlink as the host sees them.
	d, e := vfs.Create(root, []byte("d"), linux.S_IFDIR|0o750, 0, 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	vfs.Unref(d)
	if e := vfs.Rename(root, []byte("d"), root, []byte("e"), 0); e != 0 {
		t.Fatal(e)
	}
	if st, err := os.Stat(filepath.Join(sv.root, "e")); err != nil || !st.IsDir() || st.Mode().Perm() != 0o750 {
		t.Errorf("host's e: %v, %v; want a 0750 directory", st, err)
	}
	if e := vfs.Rename(root, []byte("e"), root, []byte("many"), linux.RENAME_EXCHANGE); e != linux.EINVAL {
		t.Errorf("RENAME_EXCHANGE = %v; want EINVAL (9P cannot exchange)", e)
	}
	os.WriteFile(filepath.Join(sv.root, "f"), []byte("f"), 0o644)
	if e := vfs.Link(root, []byte("g"), resolve(t, root, "f")); e != 0 {
		t.Fatal(e)
	}
	if st := vfs.GetStat(resolve(t, root, "f")); st.Nlink != 2 {
		t.Errorf("nlink after link = %d; want 2", st.Nlink)
	}
	l, e := vfs.Symlink(root, []byte("l"), []byte("/somewhere/else"), 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	buf := make([]byte, 64)
	if n, e := vfs.Readlink(l, buf); e != 0 || string(buf[:n]) != "/somewhere/else" {
		t.Errorf("Readlink = %q, %v", buf[:n], e)
	}
	if target, _ := os.Readlink(filepath.Join(sv.root, "l")); target != "/somewhere/else" {
		t.Errorf("host's l -> %q", target)
	}
	if e := vfs.Rmdir(root, []byte("e")); e != 0 {
		t.Fatal(e)
	}
	if _, err := os.Stat(filepath.Join(sv.root, "e")); !os.IsNotExist(err) {
		t.Errorf("host still has e: %v", err)
	}
	if e := vfs.Rmdir(root, []byte("many")); e != 0 {
		t.Errorf("rmdir emptied many = %v", e)
	}
	st, ok, e := vfs.Statfs(root)
	if !ok || e != 0 || st.Type != v9fsMagic {
		t.Errorf("Statfs = %+v, %v, %v", st, ok, e)
	}
	// ".." and "." never reach the server: the guest's vfs resolves them.
	resolve(t, root, "../"+filepath.Base(strings.TrimSuffix("x", "x"))+"/.")
	for _, n := range sv.names {
		if n == ".." || n == "." || strings.Contains(n, "/") {
			t.Errorf("the client sent the name %q to the server", n)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Run("version", func(t *testing.T) {
		if _, _, e := share(t, func(sv *fakeServer) { sv.version = "9P2000.u" }); e != linux.EPROTONOSUPPORT {
			t.Errorf("mount with a 9P2000.u server = %v; want EPROTONOSUPPORT", e)
		}
	})
	t.Run("msize", func(t *testing.T) {
		if _, _, e := share(t, func(sv *fakeServer) { sv.msize = 1024 }); e != linux.EPROTO {
			t.Errorf("mount with msize 1024 = %v; want EPROTO", e)
		}
	})
	t.Run("host errno", func(t *testing.T) {
		_, root := mustShare(t, nil)
		if _, e := vfs.Resolve(root, []byte("missing"), vfs.Follow); e != linux.ENOENT {
			t.Errorf("Resolve(missing) = %v; want the host's ENOENT", e)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		sv, root := mustShare(t, nil)
		os.WriteFile(filepath.Join(sv.root, "x"), []byte("x"), 0o644)
		sv.tamper = func(typ uint8, rep []byte) []byte {
			if typ == msgTgetattr {
				return rep[:len(rep)-8] // a short Rgetattr (size field left as it was)
			}
			return rep
		}
		if _, e := vfs.Resolve(root, []byte("x"), vfs.Follow); e != linux.EIO {
			t.Errorf("Resolve with a broken Rgetattr = %v; want EIO", e)
		}
		sv.tamper = func(typ uint8, rep []byte) []byte {
			if typ == msgTwalk {
				rep[5] ^= 0xff // wrong tag
			}
			return rep
		}
		if _, e := vfs.Resolve(root, []byte("x"), vfs.Follow); e != linux.EIO {
			t.Errorf("Resolve with a wrong-tag Rwalk = %v; want EIO", e)
		}
		sv.tamper = nil
		if _, e := vfs.Resolve(root, []byte("x"), vfs.Follow); e != 0 {
			t.Errorf("Resolve after the server recovered = %v", e)
		}
	})
}
