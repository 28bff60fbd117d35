// Package cli implements the unigo command line: build, run and test;
// machines (run -d, ps, logs, stop, rm, inspect); images (pkg, images,
// rmi, push, pull).
//
// [Run] is the whole program; cmd/unigo only calls it, and tests call it
// directly. Each verb lives in a file of its name.
//
// Exit status of unigo:
//
//	0-255  run, test: the guest program's own exit status
//	1      an error: build failure, bad image, guest stopped without a status
//	2      usage error: unknown flag, wrong arguments
//	124    --timeout expired
//	125    QEMU failed (its message is shown)
//	127    QEMU not found
//	130    interrupted (SIGINT or SIGTERM to unigo)
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"unigo.dev/unigo/internal/build"
)

// Exit statuses; see the package documentation.
const (
	ExitError       = 1
	ExitUsage       = 2
	ExitTimeout     = 124
	ExitQEMUFailed  = 125
	ExitNoQEMU      = 127
	ExitInterrupted = 130
	ExitKilled      = 137 // the guest ignored a shutdown request (SIGTERM) and was killed
)

// env bundles the I/O of one invocation.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errorf prints a user-facing error line and returns status.
func (e *env) errorf(status int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, "unigo: ") {
		msg = "unigo: " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	return status
}

// fail reports err (already user-facing or not) and returns ExitError.
func (e *env) fail(err error) int {
	var be *build.Error
	switch {
	case errors.Is(err, build.ErrCompile):
		// The go command's output above has the details.
		return e.errorf(ExitError, "unigo: building the program failed: see the go command's errors above")
	case errors.As(err, &be):
		return e.errorf(ExitError, "%s", be.Msg)
	}
	return e.errorf(ExitError, "%v", err)
}

type verb struct {
	name, summary string
	run           func(e *env, args []string) int
}

var verbs []verb

func init() {
	verbs = []verb{
		{"build", "build a Go main package into a bootable image", runBuild},
		{"run", "boot an image (or build and boot a package) under QEMU", runRun},
		{"test", "build a package's tests as an image and boot it", runTest},
		{"ps", "list machines started with run -d", runPs},
		{"logs", "print (or follow) a machine's console output", runLogs},
		{"stop", "shut a machine down gracefully (power button, then kill)", runStop},
		{"rm", "remove machines and all their files", runRm},
		{"inspect", "print machine records as JSON", runInspect},
		{"pkg", "package a program as an OCI image (and push it)", runPkg},
		{"images", "list the images in the local store", runImages},
		{"rmi", "remove images from the local store", runRmi},
		{"push", "upload an image to an OCI registry", runPush},
		{"pull", "download an image from an OCI registry", runPull},
	}
}

// Run runs the unigo command with args (without the program name) and
// returns the process exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	setupLogging(stderr)
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			return Run([]string{args[1], "-h"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, v := range verbs {
		if v.name == args[0] {
			return v.run(e, args[1:])
		}
	}
	if args[0] == "__supervise" { // run -d's detached monitor; not for users
		return runSupervise(e, args[1:])
	}
	return e.errorf(ExitUsage, "unknown command %q: run 'unigo help' for the list", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "unigo builds and runs Go programs as unikernels.")
	fmt.Fprintln(w, "\nUsage:\n\tunigo <command> [flags] [arguments]\n\nCommands:")
	for _, v := range verbs {
		fmt.Fprintf(w, "\t%-8s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w, "\nRun 'unigo <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Environment: UNIGO_DEBUG=1 logs debug details, UNIGO_QEMU names the QEMU binary,\nUNIGO_KERNEL_DIR uses a kernel source directory instead of the built-in kernel,\nUNIGO_STATE_DIR keeps machines and images there instead of the XDG directories.")
}

func setupLogging(stderr io.Writer) {
	level := slog.LevelWarn
	if v := os.Getenv("UNIGO_DEBUG"); v != "" && v != "0" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
}

// newFlagSet returns a FlagSet whose errors are one line on e.stderr and
// whose -h prints help on e.stdout.
func newFlagSet(e *env, name, synopsis, help string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parse errors are one line; -h prints [printHelp]
	fs.help = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: unigo %s %s\n\n%s\n\nFlags:\n", name, synopsis, help)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// flagSet is a verb's FlagSet with its help text.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// parse parses flags; it returns ok=false and the exit status to use when
// the caller should stop (help or error).
func parse(e *env, fs *flagSet, args []string) (status int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.help()
		return 0, false
	}
	return e.errorf(ExitUsage, "unigo: %s: %v: run 'unigo %s -h' for help", fs.Name(), err, fs.Name()), false
}

// splitArgs parses args as "[flags] target [flags] [-- program args]":
// flags may come before or after the target. It returns the target (empty
// when none) and the arguments after "--".
func splitArgs(e *env, fs *flagSet, args []string) (target string, rest []string, status int, ok bool) {
	if status, ok := parse(e, fs, args); !ok {
		return "", nil, status, false
	}
	pos := fs.Args()
	// flag.Parse swallows a "--" that comes before any positional argument.
	if len(pos) < len(args) && len(args)-len(pos) > 0 && args[len(args)-len(pos)-1] == "--" {
		return "", pos, 0, true
	}
	if len(pos) == 0 {
		return "", nil, 0, true
	}
	target, pos = pos[0], pos[1:]
	if len(pos) > 0 && pos[0] == "--" {
		return target, pos[1:], 0, true
	}
	if status, ok := parse(e, fs, pos); !ok {
		return "", nil, status, false
	}
	after := fs.Args()
	consumedDash := len(after) < len(pos) && pos[len(pos)-len(after)-1] == "--"
	if len(after) > 0 && !consumedDash {
		if after[0] == "--" {
			return target, after[1:], 0, true
		}
		return "", nil, e.errorf(ExitUsage, "unigo: %s: unexpected argument %q: put program arguments after --", fs.Name(), after[0]), false
	}
	return target, after, 0, true
}
