package manifest

import (
	"strings"
	"testing"
)

// §29.41: valid port forms are parsed into mappings.
func TestPorts_29_41(t *testing.T) {
	m, ds := decodeYAML(t, apiWith("      image: x:1\n      ports: [8080, \"9090:80\", \"0.0.0.0:9091:80\"]\n"))
	expectCodes(t, ds)
	want := []PortMapping{{"127.0.0.1", 8080, 8080}, {"127.0.0.1", 9090, 80}, {"0.0.0.0", 9091, 80}}
	for i, p := range m.Resources[0].Container.Ports {
		if p.Parsed != want[i] {
			t.Errorf("ports[%d] = %+v, want %+v", i, p.Parsed, want[i])
		}
	}
}

// §29.42: invalid ports.
func TestInvalidPorts_29_42(t *testing.T) {
	for _, tt := range []struct{ port, mention string }{
		{`"80"`, "HOST:CONTAINER"},
		{`"8080:80/tcp"`, "protocol"},
		{`"[::1]:80:80"`, "IPv6"},
		{`70000`, "range"},
		{`0`, "range"},
	} {
		t.Run(tt.port, func(t *testing.T) {
			_, ds := decodeYAML(t, apiWith("      image: x:1\n      ports: [8081, "+tt.port+"]\n"))
			d := expectCodes(t, ds, "invalid-port")
			if d.Path != "resources.api.container.ports[1]" || !strings.Contains(d.Message, tt.mention) ||
				!strings.Contains(d.Message, "invalid port mapping "+`"`+strings.Trim(tt.port, `"`)+`"`) {
				t.Errorf("diagnostic = %s", d)
			}
		})
	}
	_, ds := decodeYAML(t, apiWith("      image: x:1\n      ports: [8080.5]\n"))
	expectCodes(t, ds, "type-mismatch")
}

// §29.43: the same host port twice in the manifest, including postgres/redis ports.
func TestPortClashInManifest_29_43(t *testing.T) {
	_, ds := decodeYAML(t, shopWith(`  a:
    container: {image: x:1, ports: [8080]}
  b:
    container: {image: x:1, ports: ["0.0.0.0:8080:80"]}
`))
	d := expectCodes(t, ds, "port-clash-in-manifest")
	if d.Path != "resources.b.container.ports[0]" || !strings.Contains(d.Message, "resources.a.container.ports[0]") {
		t.Errorf("diagnostic = %s", d)
	}
	if !ds.Strict().HasErrors() {
		t.Errorf("--strict must reject it")
	}
	runCodeCases(t, []codeCase{
		{"different addresses", shopWith("  a:\n    container: {image: x:1, ports: [\"10.0.0.1:80:80\"]}\n  b:\n    container: {image: x:1, ports: [\"10.0.0.2:80:80\"]}\n"), nil},
		{"two postgres on the default port", shopWith("  a:\n    postgres: {}\n  b:\n    postgres: {}\n"), []string{"port-clash-in-manifest"}},
		{"redis port against a container", shopWith("  a:\n    redis: {port: 7000}\n  b:\n    container: {image: x:1, ports: [7000]}\n"), []string{"port-clash-in-manifest"}},
	})
}

// §29.44-48: volume mappings.
func TestVolumes_29_44_48(t *testing.T) {
	vol := func(v ...string) string {
		return apiWith("      image: x:1\n      volumes: [" + strings.Join(v, ", ") + "]\n")
	}
	runCodeCases(t, []codeCase{
		{"§29.44 read-only", vol(`"./data:/app:ro"`), nil},
		{"§29.44 read-write", vol(`"data:/app:rw"`), nil},
		{"§29.44 unsupported mode", vol(`"./data:/app:z"`), []string{"invalid-volume"}},
		{"§29.45 parent", vol(`"../outside:/outside"`), []string{"invalid-volume"}},
		{"§29.45 inner ..", vol(`"./a/../b:/x"`), []string{"invalid-volume"}},
		{"§29.46 c:/data", vol(`"c:/data"`), nil},
		{"§29.46 drive path", vol(`'C:\data:/data'`), []string{"invalid-volume"}},
		{"§29.47 missing target", vol(`pgdata`), []string{"invalid-volume"}},
		{"§29.47 empty component", vol(`":/data"`), []string{"invalid-volume"}},
		{"§29.47 relative target", vol(`"data:relative"`), []string{"invalid-volume"}},
		{"§29.48 duplicate target", vol(`"a:/data"`, `"./b:/data/"`), []string{"duplicate-mount-target"}},
		{"host path", vol(`"./config:/etc/app"`), nil},
	})
	_, ds := decodeYAML(t, vol(`"./data:/app:z"`))
	if !strings.Contains(ds[0].Message, `unsupported mode "z"`) {
		t.Errorf("§29.44 message must name the mode: %s", ds[0])
	}
	_, ds = decodeYAML(t, vol(`"a:/data"`, `"./b:/data/"`))
	if d := ds[0]; d.Path != "resources.api.container.volumes[1]" || !strings.Contains(d.Message, "volumes[0]") {
		t.Errorf("§29.48 diagnostic = %s", d)
	}
}

// §29.50-52: healthcheck forms and timings.
func TestHealthcheck_29_50_52(t *testing.T) {
	hc := func(body string) string { return apiWith("      image: x:1\n      healthcheck:\n" + body) }
	runCodeCases(t, []codeCase{
		{"§29.50 empty test", hc("        test: []\n"), []string{"invalid-healthcheck"}},
		{"§29.50 CMD alone", hc("        test: [CMD]\n"), []string{"invalid-healthcheck"}},
		{"§29.50 NONE x", hc("        test: [NONE, x]\n"), []string{"invalid-healthcheck"}},
		{"§29.50 curl x", hc("        test: [curl, x]\n"), []string{"invalid-healthcheck"}},
		{"§29.51 CMD-SHELL", hc("        test: [CMD-SHELL, a, b]\n"), nil},
		// Issue 15: zero means the default, as in Docker, with a warning.
		{"retries 0", hc("        test: [NONE]\n        retries: 0\n"), []string{"healthcheck-zero"}},
		{"interval 0s", hc("        test: [NONE]\n        interval: 0s\n"), []string{"healthcheck-zero"}},
		{"timeout 0ms", hc("        test: [NONE]\n        timeout: 0ms\n"), []string{"healthcheck-zero"}},
		{"retries -1", hc("        test: [NONE]\n        retries: -1\n"), []string{"invalid-healthcheck"}},
		{"start_interval 0s", hc("        test: [NONE]\n        start_interval: 0s\n"), []string{"invalid-healthcheck"}},
		{"§29.52 start_period 0s", hc("        test: [NONE]\n        start_period: 0s\n"), nil},
		{"compound duration", hc("        test: [NONE]\n        timeout: 1m30s\n"), nil},
		{"§29.54 bad duration", hc("        test: [NONE]\n        timeout: 1m30\n"), []string{"invalid-duration"}},
		{"test missing on a container", hc("        interval: 1s\n"), []string{"missing-field"}},
		{"test is a string", hc("        test: curl x\n"), []string{"type-mismatch"}},
		{"unknown key", hc("        test: [NONE]\n        intervall: 1s\n"), []string{"unknown-field"}},
	})
	_, ds := decodeYAML(t, hc("        test: [NONE]\n        timeout: 1m30\n"))
	if d := ds[0]; !strings.Contains(d.Message, `invalid duration "1m30": `) || !strings.Contains(d.Message, "such as 500ms, 5s, 1.5m or 1m30s") {
		t.Errorf("message = %q", d.Message)
	}
	for body, want := range map[string]string{
		"        test: [NONE]\n        retries: 0\n":    "retries: retries 0 means the default: 5 is used",
		"        test: [NONE]\n        interval: 0s\n":  `interval: interval "0s" means the default: 5s is used`,
		"        test: [NONE]\n        timeout: 0.0s\n": `timeout: timeout "0.0s" means the default: 3s is used`,
	} {
		if _, ds := decodeYAML(t, hc(body)); len(ds) != 1 || !strings.HasSuffix(ds[0].Message, want) {
			t.Errorf("%q: diagnostics %v, want one ending %q", body, ds, want)
		}
	}
}

// §29.94: restart policies.
func TestRestart_29_94(t *testing.T) {
	runCodeCases(t, []codeCase{
		{"sometimes", apiWith("      image: x:1\n      restart: sometimes\n"), []string{"invalid-restart"}},
		{"unquoted no", apiWith("      image: x:1\n      restart: no\n"), nil},
		{"on-failure", apiWith("      image: x:1\n      restart: on-failure\n"), nil},
	})
	m, _ := decodeYAML(t, apiWith("      image: x:1\n"))
	if r := m.Resources[0].Restart; r.Value != "no" {
		t.Errorf("default restart = %+v", r)
	}
}
