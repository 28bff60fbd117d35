package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// annotationImageName is the image a CRI container was made from
// (containerd 1.6 and later set it).
const annotationImageName = "io.kubernetes.cri.image-name"

// addressEnv carries containerd's address from "start" to the shim
// process it spawns.
const addressEnv = "UNIGO_CONTAINERD_ADDRESS"

// imagePorts returns the ExposedPorts of the image ref in containerd's
// namespace ns, asking containerd at address (its images and content
// services): the CRI gives a container's bundle the image's command and
// environment but not its ports.
func imagePorts(ctx context.Context, address, ns, ref string) ([]port, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := grpc.Dial("unix://"+address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx = metadata.AppendToOutgoingContext(ctx, "containerd-namespace", ns)
	img, err := imagesapi.NewImagesClient(conn).Get(ctx, &imagesapi.GetImageRequest{Name: ref})
	if err != nil {
		return nil, fmt.Errorf("image %s: %v", ref, err)
	}
	content := contentapi.NewContentClient(conn)
	read := func(digest string) ([]byte, error) {
		st, err := content.Read(ctx, &contentapi.ReadContentRequest{Digest: digest})
		if err != nil {
			return nil, err
		}
		var b []byte
		for len(b) < 4<<20 {
			r, err := st.Recv()
			if err == io.EOF {
				return b, nil
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %v", digest, err)
			}
			b = append(b, r.Data...)
		}
		return nil, fmt.Errorf("%s: larger than 4 MiB", digest)
	}
	digest := img.Image.Target.Digest
	for range 3 { // an index, a manifest, the config
		b, err := read(digest)
		if err != nil {
			return nil, err
		}
		next, ports, err := nextDescriptor(b)
		if err != nil {
			return nil, fmt.Errorf("image %s: %s: %v", ref, digest, err)
		}
		if next == "" {
			return ports, nil
		}
		digest = next
	}
	return nil, fmt.Errorf("image %s: no config found", ref)
}

// nextDescriptor reads an OCI or Docker index, manifest or image config:
// for an index the digest of its linux/amd64 manifest, for a manifest
// that of its config, for a config its exposed ports.
func nextDescriptor(b []byte) (string, []port, error) {
	var doc struct {
		Manifests []struct {
			Digest   string `json:"digest"`
			Platform *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
		Config *struct {
			Digest       string              `json:"digest"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		} `json:"config"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", nil, err
	}
	switch {
	case doc.Manifests != nil:
		for _, m := range doc.Manifests {
			if m.Platform == nil || (m.Platform.OS == "linux" && m.Platform.Architecture == "amd64") {
				return m.Digest, nil, nil
			}
		}
		return "", nil, fmt.Errorf("the index has no linux/amd64 manifest")
	case doc.Config != nil && doc.Config.Digest != "":
		return doc.Config.Digest, nil, nil
	case doc.Config != nil:
		ps, err := parsePorts(strings.Join(slices.Sorted(maps.Keys(doc.Config.ExposedPorts)), " "))
		return "", ps, err
	}
	return "", nil, nil // a config without a "config" section: no ports
}

// containerdAddress returns the address containerd gave "start".
func containerdAddress() string { return os.Getenv(addressEnv) }
