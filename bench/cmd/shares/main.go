// Command shares measures file I/O on a host share (unigo run -v, virtio-9p)
// next to its baselines in the same run: the same program on the guest's
// ramfs (/tmp) and as a Linux process on the host directory. Run it from
// the repository:
//
//	go run ./bench/cmd/shares [-mib 32] [-machine microvm] [-runs 3]
//
// It prints a markdown report and writes it to bench/results/shares-<date>.md.
// The numbers are throughput under QEMU TCG here: compare them only within one
// run. See bench/README.md.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	mib := flag.Int("mib", 32, "size of the large file in `MiB`")
	machine := flag.String("machine", "microvm", "QEMU `machine`")
	runs := flag.Int("runs", 3, "runs of each configuration (the median is reported)")
	flag.Parse()
	if err := run(*mib, *machine, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(1)
	}
}

type figures map[string][]float64 // name -> values of the runs

func run(mib int, machine string, runs int) error {
	tmp, err := os.MkdirTemp("", "unigo-shares-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	unigo := filepath.Join(tmp, "unigo")
	native := filepath.Join(tmp, "sharebench")
	img := filepath.Join(tmp, "sharebench.img")
	for _, c := range [][]string{
		{"go", "build", "-o", unigo, "./cmd/unigo"},
		{"go", "build", "-o", native, "./bench/programs/sharebench"},
		{unigo, "build", "-o", img, "./bench/programs/sharebench"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	share := filepath.Join(tmp, "share")
	if err := os.Mkdir(share, 0o755); err != nil {
		return err
	}
	mem := fmt.Sprintf("%dM", 128+2*mib) // ramfs holds the file in guest memory
	size := strconv.Itoa(mib)
	configs := []struct {
		name string
		cmd  []string
	}{
		{"unigo, 9p share", []string{unigo, "run", "--machine", machine, "-m", mem, "-v", share + ":/data", img, "--", "/data", size}},
		{"unigo, ramfs", []string{unigo, "run", "--machine", machine, "-m", mem, img, "--", "/tmp", size}},
		{"Linux process, host dir", []string{native, share, size}},
	}
	results := make([]figures, len(configs))
	var names []string
	for k, c := range configs {
		results[k] = figures{}
		for r := 0; r < runs; r++ {
			out, err := exec.Command(c.cmd[0], c.cmd[1:]...).Output()
			if err != nil {
				return fmt.Errorf("%s: %v\n%s", strings.Join(c.cmd, " "), err, out)
			}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) != 3 {
					continue
				}
				v, err := strconv.ParseFloat(f[1], 64)
				if err != nil {
					continue
				}
				name := f[0] + " (" + f[2] + ")"
				if _, seen := results[k][name]; !seen && k == 0 {
					names = append(names, name)
				}
				results[k][name] = append(results[k][name], v)
			}
		}
	}
	var b strings.Builder
	qv, _ := exec.Command("qemu-system-x86_64", "--version").Output()
	fmt.Fprintf(&b, "# shares benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "%s, %d CPUs, %s, %s; machine %s, TCG; large file %d MiB; median of %d runs.\n\n",
		runtime.GOARCH, runtime.NumCPU(), runtime.Version(), strings.SplitN(string(qv), "\n", 2)[0], machine, mib, runs)
	b.WriteString("| figure |")
	for _, c := range configs {
		b.WriteString(" " + c.name + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(configs)) + "\n")
	for _, n := range names {
		b.WriteString("| " + n + " |")
		for k := range configs {
			b.WriteString(" " + median(results[k][n]) + " |")
		}
		b.WriteString("\n")
	}
	fmt.Print(b.String())
	out := filepath.Join("bench", "results", "shares-"+time.Now().UTC().Format("2006-01-02")+".md")
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

func median(v []float64) string {
	if len(v) == 0 {
		return "—"
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return strconv.FormatFloat(s[len(s)/2], 'f', 1, 64)
}
