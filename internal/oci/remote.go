package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Progress receives the progress of a push or pull, one blob at a time.
type Progress interface {
	// Blob starts a blob of size bytes; what says which ("kernel layer
	// sha256:abcd…").
	Blob(what string, size int64)
	// Advance reports done bytes of the current blob so far.
	Advance(done int64)
	// BlobDone ends the current blob: how is "pushed", "exists", "pulled".
	BlobDone(how string)
}

// Remote errors, wrapped with the registry's own words.
var (
	ErrUnauthorized = errors.New("the registry refused the credentials")
	ErrNoSuchImage  = errors.New("no such image in the registry")
	ErrUnreachable  = errors.New("cannot reach the registry")
)

func remoteOptions(ctx context.Context) []remote.Option {
	// Credentials as docker finds them: ~/.docker/config.json, or
	// $DOCKER_CONFIG/config.json, credential helpers included.
	return []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithContext(ctx)}
}

// Push uploads the stored image e to ref, layer by layer.
func (s *Store) Push(ctx context.Context, e Entry, ref name.Reference, p Progress) (string, error) {
	img, err := s.Load(e)
	if err != nil {
		return "", err
	}
	h, err := v1.NewHash(e.Manifest.Digest)
	if err != nil {
		return "", err
	}
	lp, err := layout.FromPath(s.dir)
	if err != nil {
		return "", err
	}
	gimg, err := lp.Image(h)
	if err != nil {
		return "", err
	}
	opts := remoteOptions(ctx)
	for _, l := range img.Manifest.Layers {
		lh, _ := v1.NewHash(l.Digest)
		gl, err := gimg.LayerByDigest(lh)
		if err != nil {
			return "", err
		}
		p.Blob(l.Annotations[AnnotationLayer]+" layer "+short(l.Digest), l.Size)
		updates := make(chan v1.Update, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for u := range updates {
				p.Advance(u.Complete)
			}
		}()
		err = remote.WriteLayer(ref.Context(), gl, append(opts, remote.WithProgress(updates))...)
		<-done
		if err != nil {
			return "", classify(err, ref)
		}
		p.BlobDone("pushed")
	}
	p.Blob("config and manifest", e.Manifest.Size+img.Manifest.Config.Size)
	if err := remote.Write(ref, gimg, opts...); err != nil {
		return "", classify(err, ref)
	}
	p.BlobDone("pushed")
	return e.Manifest.Digest, nil
}

// Pull downloads ref (the linux/amd64 image of an index) into the store,
// checking every blob against its digest, and tags it as ref. Nothing is
// tagged when any blob is wrong.
func (s *Store) Pull(ctx context.Context, ref name.Reference, p Progress) (Entry, error) {
	opts := append(remoteOptions(ctx), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return Entry{}, classify(err, ref)
	}
	gimg, err := desc.Image() // picks linux/amd64 from an index
	if err != nil {
		return Entry{}, classify(err, ref)
	}
	raw, err := gimg.RawManifest()
	if err != nil {
		return Entry{}, classify(err, ref)
	}
	mdigest, err := gimg.Digest()
	if err != nil {
		return Entry{}, err
	}
	img, err := ParseManifest(raw)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", Short(ref.Name()), err)
	}
	release, err := s.Writing()
	if err != nil {
		return Entry{}, err
	}
	defer release()
	for _, l := range img.Manifest.Layers {
		if s.HasBlob(l.Digest) {
			p.Blob(l.Annotations[AnnotationLayer]+" layer "+short(l.Digest), l.Size)
			p.BlobDone("exists")
			continue
		}
		lh, _ := v1.NewHash(l.Digest)
		gl, err := gimg.LayerByDigest(lh)
		if err != nil {
			return Entry{}, classify(err, ref)
		}
		p.Blob(l.Annotations[AnnotationLayer]+" layer "+short(l.Digest), l.Size)
		if err := s.fetchBlob(gl, l.Digest, p); err != nil {
			return Entry{}, classify(fmt.Errorf("layer %s: %w", short(l.Digest), err), ref)
		}
		p.BlobDone("pulled")
	}
	cfg, err := gimg.RawConfigFile()
	if err != nil {
		return Entry{}, classify(err, ref)
	}
	if _, err := s.PutBlob(cfg, img.Manifest.Config.Digest); err != nil {
		return Entry{}, fmt.Errorf("config %s: %w", short(img.Manifest.Config.Digest), err)
	}
	md, err := s.PutBlob(raw, mdigest.String())
	if err != nil {
		return Entry{}, fmt.Errorf("manifest: %w", err)
	}
	md.MediaType = MediaTypeManifest
	if err := s.Tag(ref, md); err != nil {
		return Entry{}, err
	}
	return s.Resolve(ref)
}

// fetchBlob copies a remote layer into the store and checks its digest.
func (s *Store) fetchBlob(l v1.Layer, want string, p Progress) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := s.NewBlob()
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, &counter{r: rc, p: p}); err != nil {
		if strings.Contains(err.Error(), "error verifying") {
			return fmt.Errorf("%w: %v", ErrBadDigest, err)
		}
		return err
	}
	_, err = w.Commit(want)
	return err
}

type counter struct {
	r io.Reader
	p Progress
	n int64
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.Advance(c.n)
	return n, err
}

// classify wraps registry errors with what they mean for the user.
func classify(err error, ref name.Reference) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w (%d %s) for %s", ErrUnauthorized, te.StatusCode, http.StatusText(te.StatusCode), ref.Context().RegistryStr())
		case http.StatusNotFound:
			return fmt.Errorf("%w: %s", ErrNoSuchImage, Short(ref.Name()))
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return fmt.Errorf("%w (%s) for %s", ErrUnauthorized, d.Code, ref.Context().RegistryStr())
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				return fmt.Errorf("%w: %s", ErrNoSuchImage, Short(ref.Name()))
			}
		}
		return err
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w %s: %v", ErrUnreachable, ref.Context().RegistryStr(), err)
	}
	if strings.Contains(err.Error(), "error verifying") && !errors.Is(err, ErrBadDigest) {
		return fmt.Errorf("%w: %v", ErrBadDigest, err)
	}
	return err
}
