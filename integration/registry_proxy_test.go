package integration

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// registryProxy is a reverse proxy on 127.0.0.1 in front of the test registry. It
// counts the requests that reach it, so a test sees whether and how lsctl contacted
// the registry, and can trickle blob bodies, so that a real pull lasts as long as the
// test needs.
type registryProxy struct {
	addr      string       // host:port to name in image references
	requests  atomic.Int32 // every request, TLS probes excluded (they never become one)
	manifests atomic.Int32 // requests of /v2/<name>/manifests/<reference>, any method
	trickle   atomic.Bool  // blob bodies pass 512 bytes per 100 ms
	// blobRequested is closed when the first blob request arrives: a pull has begun
	// downloading content.
	blobRequested chan struct{}
	blobOnce      sync.Once
}

// startRegistryProxy serves a proxy to the registry at registry (host:port).
func startRegistryProxy(t *testing.T, registry string) *registryProxy {
	t.Helper()
	p := &registryProxy{blobRequested: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	rp.FlushInterval = -1 // pass every trickled chunk on at once
	rp.ModifyResponse = func(resp *http.Response) error {
		if p.trickle.Load() && strings.Contains(resp.Request.URL.Path, "/blobs/") {
			resp.Body = &slowBody{ReadCloser: resp.Body, ctx: resp.Request.Context()}
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		switch {
		case strings.Contains(r.URL.Path, "/manifests/"):
			p.manifests.Add(1)
		case strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet:
			p.blobOnce.Do(func() { close(p.blobRequested) })
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	p.addr = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// slowBody passes at most 512 bytes per 100 ms, until the request's context ends.
type slowBody struct {
	io.ReadCloser
	ctx context.Context
}

func (b *slowBody) Read(p []byte) (int, error) {
	select {
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	case <-time.After(100 * time.Millisecond): // the throttle itself, not a wait for an event
	}
	if len(p) > 512 {
		p = p[:512]
	}
	return b.ReadCloser.Read(p)
}
