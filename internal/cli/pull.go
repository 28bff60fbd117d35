package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"unigo.dev/unigo/internal/oci"
)

func runPull(e *env, args []string) int {
	fs := newFlagSet(e, "pull", "reference",
		"Pull downloads a unigo image from an OCI registry into the local store,\n"+
			"checking every blob against its digest. Credentials come from the docker\n"+
			"config file (~/.docker/config.json or $DOCKER_CONFIG/config.json).\n"+
			"Registries on localhost and private addresses are spoken to over plain HTTP.")
	insecure := fs.Bool("insecure", false, "allow plain HTTP to any registry")
	dir := stateFlag(fs)
	if status, ok := parse(e, fs, args); !ok {
		return status
	}
	if fs.NArg() != 1 {
		return e.errorf(ExitUsage, "unigo: pull: want one image reference, e.g. unigo pull localhost:5000/web:1.0")
	}
	r := fs.Arg(0)
	ref, err := oci.ParseRef(r, *insecure)
	if err != nil {
		return e.errorf(ExitUsage, "unigo: pull: %v", err)
	}
	store, err := e.images(*dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ent, err := store.Pull(ctx, ref, newProgress(e.stderr))
	if err != nil {
		return e.remoteError("pull", r, err)
	}
	fmt.Fprintln(e.stdout, ent)
	return 0
}

func runPush(e *env, args []string) int {
	fs := newFlagSet(e, "push", "reference",
		"Push uploads an image from the local store to its OCI registry.\n"+
			"Credentials come from the docker config file (~/.docker/config.json or\n"+
			"$DOCKER_CONFIG/config.json), as 'docker login' writes them.")
	insecure := fs.Bool("insecure", false, "allow plain HTTP to any registry")
	dir := stateFlag(fs)
	if status, ok := parse(e, fs, args); !ok {
		return status
	}
	if fs.NArg() != 1 {
		return e.errorf(ExitUsage, "unigo: push: want one image reference, e.g. unigo push localhost:5000/web:1.0")
	}
	return e.push(fs.Arg(0), *dir, *insecure)
}

// push uploads the stored image r.
func (e *env) push(r, dir string, insecure bool) int {
	ref, err := oci.ParseRef(r, insecure)
	if err != nil {
		return e.errorf(ExitUsage, "unigo: push: %v", err)
	}
	store, err := e.images(dir)
	if err != nil {
		return e.errorf(ExitError, "%v", err)
	}
	ent, err := store.Resolve(ref)
	if err != nil {
		return e.errorf(ExitError, "unigo: push %s: %v: build it with 'unigo pkg -t %s PACKAGE'", r, err, r)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	digest, err := store.Push(ctx, ent, ref, newProgress(e.stderr))
	if err != nil {
		return e.remoteError("push", r, err)
	}
	fmt.Fprintf(e.stdout, "%s@%s\n", oci.Short(ref.Name()), digest)
	return 0
}

// remoteError explains a failed push or pull in one line.
func (e *env) remoteError(verb, ref string, err error) int {
	hint := ""
	switch {
	case errors.Is(err, oci.ErrUnauthorized):
		hint = "log in with 'docker login' (unigo reads ~/.docker/config.json or $DOCKER_CONFIG/config.json)"
	case errors.Is(err, oci.ErrNoSuchImage):
		hint = "check the name and tag"
	case errors.Is(err, oci.ErrUnreachable):
		hint = "is the registry running? (plain HTTP needs --insecure except on localhost and private addresses)"
	case errors.Is(err, oci.ErrBadDigest):
		hint = "the registry sent corrupt data; nothing was stored"
	case errors.Is(err, oci.ErrNotUnigo):
		hint = "unigo runs images made by 'unigo pkg'"
	case errors.Is(err, context.Canceled):
		return e.errorf(ExitInterrupted, "unigo: %s %s: interrupted", verb, ref)
	}
	if hint != "" {
		return e.errorf(ExitError, "unigo: %s %s: %v: %s", verb, ref, err, hint)
	}
	return e.errorf(ExitError, "unigo: %s %s: %v", verb, ref, err)
}
