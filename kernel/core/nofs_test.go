//go:build unigo_nofs

package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"unigo.dev/unigo/kernel/abi/linux"
)

// TestNoFSAnswers checks the kernel without a file system against the
// one with: every call the file system's table (fsSyscallTable in
// sys_fs.go, read from the source) handles gets an answer here, except
// the ones left unsupported on purpose (ADR 0010).
func TestNoFSAnswers(t *testing.T) {
	unsupported := map[string]bool{"SYS_MEMFD_CREATE": true, "SYS_FSTATFS": true}
	f, err := parser.ParseFile(token.NewFileSet(), "sys_fs.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "fsSyscallTable" {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			names = append(names, e.(*ast.KeyValueExpr).Key.(*ast.SelectorExpr).Sel.Name)
		}
		return false
	})
	if len(names) < 50 {
		t.Fatalf("found %d entries of fsSyscallTable in sys_fs.go; want the file-system calls", len(names))
	}
	for _, name := range names {
		nr := -1
		for k := 0; k < linux.NumSyscalls; k++ {
			if "SYS_"+strings.ToUpper(linux.SyscallName(k)) == name {
				nr = k
			}
		}
		if nr < 0 {
			t.Fatalf("%s: no such syscall", name)
		}
		_, ok := fsSyscall(uintptr(nr), sysArgs{99, 99, 99})
		if ok == unsupported[name] {
			t.Errorf("%s: answered = %v; want %v", name, ok, !unsupported[name])
		}
	}
}

// TestNoFSErrors: paths name nothing; descriptor calls say EBADF for a
// closed descriptor and Linux's error for the console's.
func TestNoFSErrors(t *testing.T) {
	files, fds = [maxFiles]file{}, [maxFDs]fdEntry{}
	initFiles() // the console as 0, 1, 2
	for _, tt := range []struct {
		nr   uintptr
		a    sysArgs
		want linux.Errno
	}{
		{linux.SYS_OPENAT, sysArgs{^uintptr(99), 0x1000}, linux.ENOENT},
		{linux.SYS_NEWFSTATAT, sysArgs{^uintptr(99), 0x1000}, linux.ENOENT},
		{linux.SYS_GETCWD, sysArgs{0x1000, 64}, linux.ENOENT},
		{linux.SYS_MOUNT, sysArgs{}, linux.ENODEV},
		{linux.SYS_SYNC, sysArgs{}, 0},
		{linux.SYS_FSYNC, sysArgs{1}, linux.EINVAL},
		{linux.SYS_FSYNC, sysArgs{7}, linux.EBADF},
		{linux.SYS_PREAD64, sysArgs{0}, linux.ESPIPE},
		{linux.SYS_GETDENTS64, sysArgs{2}, linux.ENOTDIR},
		{linux.SYS_FLOCK, sysArgs{1}, 0},
		{linux.SYS_FLOCK, sysArgs{1000}, linux.EBADF},
		{linux.SYS_SENDFILE, sysArgs{1, 0}, linux.EINVAL},
		{linux.SYS_SENDFILE, sysArgs{9, 0}, linux.EBADF},
		{linux.SYS_COPY_FILE_RANGE, sysArgs{0, 0, 1}, linux.EINVAL},
		{linux.SYS_COPY_FILE_RANGE, sysArgs{0, 0, 9}, linux.EBADF},
	} {
		r, ok := fsSyscall(tt.nr, tt.a)
		if !ok || r != errno(tt.want) && !(tt.want == 0 && r == 0) {
			t.Errorf("%s%v = %#x, %v; want %v", linux.SyscallName(int(tt.nr)), tt.a, r, ok, tt.want)
		}
	}
	if _, ok := fsSyscall(linux.SYS_READ, sysArgs{}); ok {
		t.Errorf("read is answered as a file-system call")
	}
}
