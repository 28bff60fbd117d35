package main

import (
	"fmt"
	"strings"

	"unigo.dev/unigo/kernel/core"
)

// markdown renders the syscall table as docs/syscalls.md.
func markdown() string {
	var b strings.Builder
	table := core.SyscallTable()
	counts := map[core.Support]int{}
	for _, s := range table {
		counts[s.Support]++
	}
	b.WriteString("# Supported system calls\n\n")
	b.WriteString("Generated from the kernel's syscall table (kernel/core/syscall.go) by\n")
	b.WriteString("`cd kernel && go run ./cmd/gensyscalls > ../docs/syscalls.md`; a test keeps it current.\n\n")
	fmt.Fprintf(&b, "%d supported, %d partial, %d unsupported (ENOSYS, logged once by name) of %d x86-64 system calls.\n\n",
		counts[core.Supported], counts[core.Partial], counts[core.Unsupported], len(table))
	b.WriteString("| # | name | support | notes |\n|---:|---|---|---|\n")
	for _, s := range table {
		level := [...]string{core.Unsupported: "ENOSYS", core.Supported: "supported", core.Partial: "partial"}[s.Support]
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", s.Number, s.Name, level, strings.ReplaceAll(s.Note, "|", "\\|"))
	}
	return b.String()
}
