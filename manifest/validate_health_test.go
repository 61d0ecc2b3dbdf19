package manifest

import (
	"strings"
	"testing"
)

// §29.105-107: the native healthcheck forms http and tcp.
func TestNativeHealthForms_29_105_107(t *testing.T) {
	hc := func(body string) string { return apiWith("      image: x:1\n      healthcheck:\n" + body) }
	runCodeCases(t, []codeCase{
		{"§29.105 http", hc("        http: {port: 8080, path: /healthz, status: 200}\n"), nil},
		{"§29.105 http port only", hc("        http: {port: 8080}\n"), nil},
		{"§29.105 tcp", hc("        tcp: 5432\n        interval: 1s\n"), nil},
		{"§29.106 http without port", hc("        http: {path: /healthz}\n"), []string{"missing-field"}},
		{"§29.106 port 0", hc("        tcp: 0\n"), []string{"invalid-port"}},
		{"§29.106 port 70000", hc("        http: {port: 70000}\n"), []string{"invalid-port"}},
		{"§29.106 relative path", hc("        http: {port: 80, path: healthz}\n"), []string{"invalid-healthcheck"}},
		{"§29.106 path with a space", hc("        http: {port: 80, path: '/a b'}\n"), []string{"invalid-healthcheck"}},
		{"§29.106 status 99", hc("        http: {port: 80, status: 99}\n"), []string{"invalid-healthcheck"}},
		{"§29.106 two forms", hc("        tcp: 80\n        test: [CMD, true]\n"), []string{"invalid-healthcheck"}},
		{"§29.106 tcp is a string", hc("        tcp: http\n"), []string{"type-mismatch"}},
		{"§29.106 unknown http key", hc("        http: {port: 80, method: HEAD}\n"), []string{"unknown-field"}},
		{"§29.107 tcp on postgres", pgWith("      healthcheck: {tcp: 5432}\n"), []string{"invalid-healthcheck"}},
	})
	for body, want := range map[string]string{
		"        http: {port: 80, path: healthz}\n": `8:32: resources.api.container.healthcheck.http.path: path "healthz" must start with /`,
		"        tcp: 0\n":                          `8:14: resources.api.container.healthcheck.tcp: healthcheck port "0" is out of range 1-65535`,
		"        http: {port: 80, status: 99}\n":    `8:34: resources.api.container.healthcheck.http.status: status 99 is not an HTTP status`,
	} {
		_, ds := decodeYAML(t, hc(body))
		if len(ds) != 1 {
			t.Fatalf("%q: diagnostics %v, want one", body, ds)
		}
		got := strings.TrimPrefix(ds[0].String(), "error: lightshuttle.yml:")
		if !strings.HasPrefix(got, want) {
			t.Errorf("%q: diagnostic %q, want it to start %q", body, got, want)
		}
	}
	_, ds := decodeYAML(t, pgWith("      healthcheck: {tcp: 5432}\n"))
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "the tcp form is for container and dockerfile resources") {
		t.Errorf("tcp on postgres: %v", ds)
	}
}
