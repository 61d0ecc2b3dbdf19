package plan

import (
	"reflect"
	"testing"
)

// docs/spec/manifest.md §16.1, docs/spec/runtime.md §11.1: the http and tcp forms are native
// probes with an exec equivalent for exports; a written test keeps exec semantics.
func TestNativeHealthForms(t *testing.T) {
	tests := []struct {
		name, yaml string
		native     *NativeProbe
		test       []string
	}{
		{name: "http with defaults", yaml: "web: {container: {image: 'w:1', healthcheck: {http: {port: 8080}}}}",
			native: &NativeProbe{Protocol: ProbeHTTP, Port: 8080, Path: "/"},
			test:   []string{"CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:8080/' || exit 1"}},
		{name: "http with path and status", yaml: "web: {container: {image: 'w:1', healthcheck: {http: {port: 80, path: /healthz, status: 204}, interval: 1s}}}",
			native: &NativeProbe{Protocol: ProbeHTTP, Port: 80, Path: "/healthz", Status: 204},
			test:   []string{"CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:80/healthz' || exit 1"}},
		{name: "tcp", yaml: "db: {container: {image: 'd:1', healthcheck: {tcp: 5432}}}",
			native: &NativeProbe{Protocol: ProbeTCP, Port: 5432},
			test:   []string{"CMD-SHELL", "nc -z 127.0.0.1 5432 || exit 1"}},
		{name: "a written test on redis stays exec", yaml: "cache: {redis: {password: pw, healthcheck: {test: [CMD, redis-cli, ping]}}}",
			test: []string{"CMD", "redis-cli", "ping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := build(t, manifestOf("shop", tt.yaml), Options{}).Nodes[0].Health
			if h == nil || !reflect.DeepEqual(h.Native, tt.native) || !reflect.DeepEqual(h.Test, tt.test) {
				t.Fatalf("health = %+v, want native %+v test %q", h, tt.native, tt.test)
			}
			if h.TCPPort != 0 || h.Env != nil {
				t.Errorf("a written healthcheck waits for no port and gets no probe environment: %+v", h)
			}
		})
	}
}
