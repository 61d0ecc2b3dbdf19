package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// httpMaxBody bounds the body read after the status line: the verdict is the status,
// and reading a little lets the connection close cleanly.
const httpMaxBody = 4096

// httpGet passes when GET http://addr/path answers with status, or with any 2xx or 3xx
// status when status is 0 (what the kubelet's httpGet probe accepts). Redirects are not
// followed, no proxy is used, and every probe uses a fresh connection.
func httpGet(ctx context.Context, addr, path string, status int) Result {
	if path == "" {
		path = "/"
	}
	url := "http://" + addr + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Detail: "invalid request " + url + ": " + err.Error()}
	}
	req.Header.Set("User-Agent", "lsctl-healthcheck")
	res, err := probeClient.Do(req)
	if err != nil {
		return failure("GET "+url, unwrapURLError(err))
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, httpMaxBody))
	ok := res.StatusCode == status || (status == 0 && res.StatusCode >= 200 && res.StatusCode < 400)
	detail := fmt.Sprintf("GET %s: %s", path, res.Status)
	if !ok && status != 0 {
		detail += fmt.Sprintf(" (expected %d)", status)
	}
	return Result{OK: ok, Detail: detail}
}

// probeClient talks to the container directly: no proxy from the environment, no
// redirects, no kept-alive connections left behind between probes.
var probeClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// unwrapURLError drops net/http's `Get "url":` prefix, which the detail already says.
func unwrapURLError(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || !strings.HasPrefix(err.Error(), "Get ") {
			return err
		}
		err = u.Unwrap()
	}
}
