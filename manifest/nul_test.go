package manifest

import (
	"strings"
	"testing"
)

// Issue 12 item 7: a NUL byte in an env, secrets or other string value is a validation
// error naming the field (and so the key), never the value; the field's own grammar
// adds no second error.
func TestNULInValue(t *testing.T) {
	tests := []struct{ body, path string }{
		{`api: {container: {image: "x:1", env: {A: "x\0y"}}}`, "resources.api.container.env.A"},
		{`api: {container: {image: "x:1", secrets: {TOKEN: "s3cret\0tail"}}}`, "resources.api.container.secrets.TOKEN"},
		{`api: {container: {image: "x:1", command: ["echo", "a\0b"]}}`, "resources.api.container.command[1]"},
		{`api: {container: {image: "x:1", working_dir: "/a\0b"}}`, "resources.api.container.working_dir"},
		{`api: {container: {image: "x:1", volumes: ["./a\0b:/x"]}}`, "resources.api.container.volumes[0]"},
		{`api: {container: {image: "x\0:1"}}`, "resources.api.container.image"},
		{`db: {postgres: {password: "s3cret\0${env.X}"}}`, "resources.db.postgres.password"},
		{`cache: {redis: {password: "s3cret\0"}}`, "resources.cache.redis.password"},
		{`web: {dockerfile: {context: ".", build_args: {V: "a\0"}}}`, "resources.web.dockerfile.build_args.V"},
	}
	for _, tt := range tests {
		_, ds := Decode("lightshuttle.yml", t.TempDir(), []byte(shopWith("  "+tt.body+"\n")))
		ds = withoutCode(ds, "dockerfile-not-found")
		d := expectCodes(t, ds, "nul-in-value")
		if d.Path != tt.path || d.Message != tt.path+": "+NULMessage || d.Pos.Line != 4 {
			t.Errorf("%s: got %+v", tt.body, d)
		}
		if strings.Contains(d.String(), "s3cret") || strings.Contains(d.String(), `\x00`) {
			t.Errorf("the diagnostic shows the value: %s", d)
		}
	}
}

// withoutCode drops the diagnostics with the given code.
func withoutCode(ds Diagnostics, code string) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Code != code {
			out = append(out, d)
		}
	}
	return out
}
