package manifest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzDecode checks that no input makes Decode panic, and that every diagnostic is
// well formed: a known severity, a code, and a position only together with a file.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		minimalManifest,
		shopWith(dbAndAPI + "      env: {U: \"${resources.db.url}\"}\n      ports: [8080, \"0.0.0.0:1:2\"]\n"),
		"x: &a [1]\ny: *a\nproject: {<<: {name: a}}\nresources: {}\n",
		"project: [\n",
		"- a\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		m, ds := Decode("f.yml", "", data)
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("Decode took %v", el)
		}
		for _, d := range ds {
			if d.Code == "" || (d.Severity != SeverityError && d.Severity != SeverityWarning) {
				t.Fatalf("malformed diagnostic %+v", d)
			}
		}
		if m == nil && !ds.HasErrors() {
			t.Fatalf("nil manifest without an error")
		}
	})
}

// generated200 is a manifest with 200 resources of mixed kinds whose containers
// reference the databases and caches.
func generated200() []byte {
	var b strings.Builder
	b.WriteString("lightshuttle: v0\nproject:\n  name: bench\nresources:\n")
	for i := 0; i < 200; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "  db%d:\n    postgres:\n      user: app\n      password: ${env.PW%d:-secret}\n      port: %d\n", i, i, 10000+i)
		case 1:
			fmt.Fprintf(&b, "  cache%d:\n    redis:\n      version: \"7\"\n      port: %d\n", i, 20000+i)
		case 2:
			fmt.Fprintf(&b, `  api%d:
    container:
      image: registry.example.com/acme/api:1.%d
      ports: [%d, "127.0.0.1:%d:80"]
      depends_on: [db%d]
      env:
        LOG_LEVEL: ${env.LOG_LEVEL:-info}
        CACHE: ${resources.cache%d.url}
      secrets:
        DATABASE_URL: ${resources.db%d.url}
      volumes: ["./data/%d:/data", "vol%d:/cache"]
      healthcheck:
        test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/healthz"]
        interval: 2s
        start_period: 10s
`, i, i, 30000+i, 40000+i, i-2, i-1, i-2, i, i)
		default:
			fmt.Fprintf(&b, "  web%d:\n    container:\n      image: nginx:1.27\n      command: [\"nginx\", \"-g\", \"daemon off;\"]\n      env: {API: \"http://${resources.api%d.host}:8080\"}\n", i, i-1)
		}
	}
	return []byte(b.String())
}

func TestGenerated200IsValid(t *testing.T) {
	m, ds := Decode("lightshuttle.yml", "", generated200())
	expectCodes(t, ds)
	if len(m.Resources) != 200 {
		t.Errorf("resources = %d", len(m.Resources))
	}
}

// BenchmarkDecodeValidate200 measures phases 1-4, 6 on 200 resources (target well
// under 25 ms per manifest).
func BenchmarkDecodeValidate200(b *testing.B) {
	data := generated200()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, ds := Decode("lightshuttle.yml", "", data); ds.HasErrors() {
			b.Fatal(ds.Error())
		}
	}
}
