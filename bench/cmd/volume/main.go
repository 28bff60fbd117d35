// Command volume runs the persistent-volume benchmark: bench/programs/volbench
// as a unikernel on an ext2 volume (unigo run --volume-disk; writes in one
// boot, cold reads in a second), and as a Linux process in a directory of
// the host, in the same run. It prints a markdown report and writes it to
// bench/results/volume-<date>.md. Run it from the repository root:
//
//	go run ./bench/cmd/volume [-machine microvm] [-m 256M]
//
// The numbers are for comparing within one run on one machine: under TCG
// the guest's CPU is emulated, and the host process writes to whatever
// file system holds the temporary directory.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	machine := flag.String("machine", "microvm", "QEMU machine")
	mem := flag.String("m", "256M", "guest memory")
	drop := flag.Bool("drop-caches", false, "drop the host's page cache before the host read figures (root; affects the whole machine)")
	flag.Parse()
	if err := run(*machine, *mem, *drop); err != nil {
		fmt.Fprintln(os.Stderr, "volume:", err)
		os.Exit(1)
	}
}

func sh(name string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// figures keeps the "name value unit" lines of volbench's output.
func figures(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 3 && !strings.HasPrefix(l, "[") {
			lines = append(lines, l)
		}
	}
	return lines
}

func run(machine, mem string, drop bool) error {
	tmp, err := os.MkdirTemp("", "unigo-volbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	unigo := filepath.Join(tmp, "unigo")
	if _, err := sh("go", "build", "-o", unigo, "./cmd/unigo"); err != nil {
		return err
	}
	img := filepath.Join(tmp, "volbench.img")
	if _, err := sh(unigo, "build", "-o", img, "./bench/programs/volbench"); err != nil {
		return err
	}
	hostBin := filepath.Join(tmp, "volbench")
	if _, err := sh("go", "build", "-o", hostBin, "./bench/programs/volbench"); err != nil {
		return err
	}
	vol := filepath.Join(tmp, "vol.img")
	spec := vol + ":/data:size=512M"
	w, err := sh(unigo, "run", "--machine", machine, "-m", mem, "--volume-disk", spec, img, "--", "write", "/data")
	if err != nil {
		return err
	}
	r, err := sh(unigo, "run", "--machine", machine, "-m", mem, "--volume-disk", spec, img, "--", "read", "/data")
	if err != nil {
		return err
	}
	if out, err := sh("e2fsck", "-fn", vol); err != nil {
		return fmt.Errorf("the volume is not clean after the benchmark: %v\n%s", err, out)
	}
	hostDir := filepath.Join(tmp, "host")
	os.Mkdir(hostDir, 0o755)
	hw, err := sh(hostBin, "write", hostDir)
	if err != nil {
		return err
	}
	// Cold host reads need the page cache dropped (root, -drop-caches);
	// otherwise the host read figures are warm.
	cold := "warm (from the page cache)"
	if drop && os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0) == nil {
		cold = "cold (page cache dropped)"
	}
	hr, err := sh(hostBin, "read", hostDir)
	if err != nil {
		return err
	}
	fsType, _ := sh("stat", "-f", "-c", "%T", hostDir)
	qv, _ := sh("qemu-system-x86_64", "--version")
	qemuVersion := strings.TrimPrefix(strings.SplitN(qv, "\n", 2)[0], "QEMU emulator version ")
	var b strings.Builder
	fmt.Fprintf(&b, "# Volume benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "`go run ./bench/cmd/volume -machine %s -m %s` on %s/%s, %d CPUs, %s. Guest: QEMU %s (%s, accel auto), ext2 volume (4 KiB blocks, 512 MiB) on virtio-blk, cache=writeback; reads in a second boot, so the guest's cache is cold (the image may be in the host's page cache). Host: the same program as a Linux process in a directory on %s; host reads are %s.\n\n",
		machine, mem, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), qemuVersion, machine, strings.TrimSpace(fsType), cold)
	b.WriteString("| figure | unikernel (ext2 volume) | Linux process (host) |\n|---|---:|---:|\n")
	g := append(figures(w), figures(r)...)
	h := append(figures(hw), figures(hr)...)
	for i, l := range g {
		f := strings.Fields(l)
		hv := "—"
		if i < len(h) {
			hf := strings.Fields(h[i])
			hv = hf[1] + " " + hf[2]
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s |\n", f[0], f[1], f[2], hv)
	}
	b.WriteString("\ne2fsck -fn of the volume after both boots: clean.\n")
	fmt.Print(b.String())
	res := filepath.Join("bench", "results", "volume-"+time.Now().UTC().Format("2006-01-02")+".md")
	return os.WriteFile(res, []byte(b.String()), 0o644)
}
