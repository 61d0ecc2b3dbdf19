package containerdrt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// progressInterval paces pulling updates.
const progressInterval = 200 * time.Millisecond

// Pull fetches ref for the host platform and unpacks it into the snapshotter, under a
// lease, reporting "pulling" updates with byte counts and a final "pulled" (docs/spec/runtime.md
// §9.3). Errors read `failed to pull image <ref>: <cause>`.
func (c *Client) Pull(ctx context.Context, ref string, p Progress) error {
	start := time.Now()
	report(p, ProgressUpdate{Phase: PhasePulling, Ref: ref})
	tr := &pullTracker{cs: c.cd.ContentStore(), seen: map[string]ocispec.Descriptor{}}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.run(pctx, ref, start, p)
	}()
	err := c.leased(ctx, func(ctx context.Context) error {
		_, err := c.cd.Pull(ctx, ref,
			containerd.WithResolver(c.resolver()),
			containerd.WithPullUnpack,
			containerd.WithPullSnapshotter(c.opts.Snapshotter),
			containerd.WithImageHandler(images.HandlerFunc(tr.handle)),
		)
		return err
	})
	stop()
	<-done
	if err != nil {
		err = c.wrapUnavailable(err)
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("failed to pull image %s: %w (%w)", FamiliarName(ref), err, ErrNotFound)
		}
		return fmt.Errorf("failed to pull image %s: %w", FamiliarName(ref), err)
	}
	total := tr.total()
	report(p, ProgressUpdate{Phase: PhasePulled, Ref: ref, Done: total, Total: total, Elapsed: time.Since(start)})
	return nil
}

// pullTracker sums the sizes of the descriptors a pull walks and the bytes fetched.
type pullTracker struct {
	cs   content.Store
	mu   sync.Mutex
	seen map[string]ocispec.Descriptor // by ingest ref key
}

func (t *pullTracker) handle(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	t.mu.Lock()
	t.seen[remotes.MakeRefKey(ctx, desc)] = desc
	t.mu.Unlock()
	return nil, nil
}

func (t *pullTracker) total() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, d := range t.seen {
		n += d.Size
	}
	return n
}

// done counts complete blobs plus the offsets of ingests in progress.
func (t *pullTracker) done(ctx context.Context) int64 {
	t.mu.Lock()
	descs := make(map[string]ocispec.Descriptor, len(t.seen))
	for k, d := range t.seen {
		descs[k] = d
	}
	t.mu.Unlock()
	active := map[string]int64{}
	if sts, err := t.cs.ListStatuses(ctx); err == nil {
		for _, st := range sts {
			active[st.Ref] = st.Offset
		}
	}
	var n int64
	for key, d := range descs {
		if off, ok := active[key]; ok {
			n += off
		} else if _, err := t.cs.Info(ctx, d.Digest); err == nil {
			n += d.Size
		}
	}
	return n
}

func (t *pullTracker) run(ctx context.Context, ref string, start time.Time, p Progress) {
	if p == nil {
		return
	}
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p(ProgressUpdate{Phase: PhasePulling, Ref: ref, Done: t.done(ctx), Total: t.total(), Elapsed: time.Since(start)})
		}
	}
}

// resolver is a Docker registry resolver with the user's credentials; docker.io is
// reached at registry-1.docker.io; loopback registries fall back to plain HTTP when the
// TLS handshake fails.
func (c *Client) resolver() remotes.Resolver {
	creds := dockerCredentials
	hosts := func(host string) ([]docker.RegistryHost, error) {
		var transport http.RoundTripper = docker.DefaultHTTPTransport(nil)
		if isLoopbackRegistry(host) {
			transport = docker.NewHTTPFallback(transport)
		}
		client := &http.Client{Transport: transport}
		h := docker.RegistryHost{
			Client:       client,
			Authorizer:   docker.NewDockerAuthorizer(docker.WithAuthClient(client), docker.WithAuthCreds(creds)),
			Host:         host,
			Scheme:       "https",
			Path:         "/v2",
			Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve | docker.HostCapabilityPush,
		}
		if host == "docker.io" {
			h.Host = "registry-1.docker.io"
		}
		return []docker.RegistryHost{h}, nil
	}
	return docker.NewResolver(docker.ResolverOptions{Hosts: hosts})
}

// isLoopbackRegistry reports a registry host of localhost, 127.0.0.1 or [::1], any port.
func isLoopbackRegistry(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// dockerConfig is the part of ~/.docker/config.json lsctl reads.
type dockerConfig struct {
	Auths map[string]struct {
		Auth          string `json:"auth"`
		Username      string `json:"username"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	} `json:"auths"`
	CredHelpers map[string]string `json:"credHelpers"`
	CredsStore  string            `json:"credsStore"`
}

// dockerConfigPath is $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func dockerConfigPath() string {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}

// dockerCredentials returns the credentials for a registry host from the Docker client
// configuration; none is ("", "", nil). An identity token is returned as the secret
// with an empty user name, which the authorizer treats as a refresh token.
func dockerCredentials(host string) (string, string, error) {
	path := dockerConfigPath()
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", nil // no configuration: anonymous
	}
	var cfg dockerConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", "", fmt.Errorf("read registry credentials from %s: invalid JSON: %w", path, err)
	}
	keys := registryKeys(host)
	for _, k := range keys {
		if helper, ok := cfg.CredHelpers[k]; ok {
			return credentialHelper(helper, k)
		}
	}
	for _, k := range keys {
		a, ok := cfg.Auths[k]
		if !ok {
			continue
		}
		if a.IdentityToken != "" {
			return "", a.IdentityToken, nil
		}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return "", "", fmt.Errorf("read registry credentials from %s: auth for %s is not base64", path, k)
			}
			user, pass, _ := strings.Cut(string(raw), ":")
			return user, pass, nil
		}
		return a.Username, a.Password, nil
	}
	if cfg.CredsStore != "" {
		return credentialHelper(cfg.CredsStore, keys[0])
	}
	return "", "", nil
}

// registryKeys are the config.json keys that may name host.
func registryKeys(host string) []string {
	switch host {
	case "docker.io", "registry-1.docker.io", "index.docker.io":
		return []string{"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"}
	}
	return []string{host, "https://" + host, "http://" + host}
}

// credentialHelper runs `docker-credential-<name> get` for serverURL.
func credentialHelper(name, serverURL string) (string, string, error) {
	cmd := exec.Command("docker-credential-"+name, "get")
	cmd.Stdin = strings.NewReader(serverURL)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		// The helper's output may echo secrets: report only the failure.
		return "", "", fmt.Errorf("credential helper docker-credential-%s failed for %s: %v", name, serverURL, err)
	}
	var resp struct{ Username, Secret string }
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return "", "", fmt.Errorf("credential helper docker-credential-%s returned invalid JSON", name)
	}
	if resp.Username == "<token>" {
		return "", resp.Secret, nil
	}
	return resp.Username, resp.Secret, nil
}
