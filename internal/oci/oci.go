// Package oci packages unigo images as OCI images, keeps them in a local
// store, and moves them to and from registries.
//
// # The image format
//
// A unigo OCI image is an ordinary OCI image (image-spec v1.1) that any
// registry stores and any OCI tool can copy, with our own markers:
//
//   - manifest: mediaType application/vnd.oci.image.manifest.v1+json,
//     artifactType [ArtifactType], annotations [AnnotationVersion] and
//     org.opencontainers.image.created;
//   - config: an ordinary image config (application/vnd.oci.image.config.v1+json)
//     for platform linux/amd64 — so that containerd and Kubernetes select
//     it — whose Entrypoint is ["/" + [KernelPath]], Cmd the program's
//     arguments, Env its environment, ExposedPorts its ports, and Labels the
//     user's labels plus [LabelArgv0] and [LabelMemory];
//   - layer 1, the kernel: application/vnd.oci.image.layer.v1.tar+gzip,
//     annotation [AnnotationLayer]=kernel, a tar holding one file,
//     [KernelPath] (the bootable ELF image);
//   - layer 2, optional, the root file system: same media type, annotation
//     [AnnotationLayer]=rootfs, a tar of the guest's files at their guest
//     paths.
//
// Unpacking the layers in order (as containerd's snapshotters do) gives a
// directory that holds the kernel at /unigo/kernel.img and the guest's files
// around it; a runtime boots /unigo/kernel.img with the other files as its
// root file system. docs/oci.md says why the layers keep the standard
// media types.
package oci

import "time"

// Media types and annotations of unigo images.
const (
	ArtifactType      = "application/vnd.unigo.image.v1"
	AnnotationVersion = "dev.unigo.image.version" // "1"
	AnnotationLayer   = "dev.unigo.layer"         // "kernel" or "rootfs"
	LabelArgv0        = "dev.unigo.argv0"         // the program's argv[0] in the guest
	LabelMemory       = "dev.unigo.memory"        // guest memory in MiB, e.g. "128"
	KernelPath        = "unigo/kernel.img"        // the kernel's path in its layer

	MediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaTypeIndex    = "application/vnd.oci.image.index.v1+json"

	// AnnotationRefName names an image in the store's index.json (the full
	// reference, e.g. "localhost:5000/web:1.0"); containerd's import reads
	// AnnotationContainerdName.
	AnnotationRefName        = "org.opencontainers.image.ref.name"
	AnnotationContainerdName = "io.containerd.image.name"
	AnnotationCreated        = "org.opencontainers.image.created"
)

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *Platform         `json:"platform,omitempty"`
}

// Platform is an OCI platform.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// Manifest is an OCI image manifest.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Index is an OCI image index (the store's index.json).
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	Manifests     []Descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Config is the part of an OCI image config unigo writes and reads.
type Config struct {
	Created      *time.Time    `json:"created,omitempty"`
	Architecture string        `json:"architecture"`
	OS           string        `json:"os"`
	Config       RuntimeConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []History `json:"history,omitempty"`
}

// RuntimeConfig is the "config" member of an image config.
type RuntimeConfig struct {
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
}

// History is one entry of an image config's history.
type History struct {
	Created   *time.Time `json:"created,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	Comment   string     `json:"comment,omitempty"`
}
