package plan

import (
	"strings"
	"testing"
)

// docs/spec/manifest.md §26.1 phase 5: fields holding references are re-checked once resolved,
// and reported at the field. §29 item 23 through an env value.
func TestResolvedValueChecks(t *testing.T) {
	a63, a64 := strings.Repeat("a", 63), strings.Repeat("a", 64)
	tests := []struct {
		name, resource string
		env            map[string]string
		code, path     string
		message        string // full message; "" when no diagnostic is expected
		warning        bool
	}{
		{name: "item23 database from env", resource: `db: {postgres: {database: "${env.DB}"}}`, env: map[string]string{"DB": "123bad"},
			code: "invalid-database-name", path: "resources.db.postgres.database",
			message: `resources.db.postgres.database: invalid database name "123bad": must match ^[a-z][a-z0-9_]{0,62}$`},
		{name: "item23 64 characters", resource: `db: {postgres: {database: "${env.DB}"}}`, env: map[string]string{"DB": a64},
			code: "invalid-database-name", path: "resources.db.postgres.database",
			message: `resources.db.postgres.database: invalid database name "` + a64 + `": must match ^[a-z][a-z0-9_]{0,62}$`},
		{name: "item23 63 characters", resource: `db: {postgres: {database: "${env.DB}"}}`, env: map[string]string{"DB": a63}},
		{name: "postgres image", resource: `db: {postgres: {image: "${env.IMG}"}}`, env: map[string]string{"IMG": "Postgres:16"},
			code: "invalid-image", path: "resources.db.postgres.image",
			message: `resources.db.postgres.image: invalid image reference "Postgres:16": `},
		{name: "postgres version reported on version", resource: `db: {postgres: {version: "${env.V}"}}`, env: map[string]string{"V": ".16"},
			code: "invalid-image", path: "resources.db.postgres.version",
			message: `resources.db.postgres.version: invalid image reference "postgres:.16-alpine": `},
		{name: "empty user", resource: `db: {postgres: {user: "${env.U:-}"}}`,
			code: "empty-value", path: "resources.db.postgres.user", message: "resources.db.postgres.user: must not be empty"},
		{name: "blank container image", resource: `api: {container: {image: "${env.IMG:- }"}}`,
			code: "empty-value", path: "resources.api.container.image", message: "resources.api.container.image: must not be empty"},
		{name: "untagged container image", resource: `api: {container: {image: "${env.IMG}"}}`, env: map[string]string{"IMG": "alpine"},
			code: "untagged-image", path: "resources.api.container.image", warning: true,
			message: `resources.api.container.image: image "alpine" has no tag; "latest" is implied`},
		{name: "working dir", resource: `api: {container: {image: "x:1", working_dir: "${env.WD:-app}"}}`,
			code: "invalid-working-dir", path: "resources.api.container.working_dir",
			message: `resources.api.container.working_dir: working_dir "app" must be an absolute path`},
		{name: "volume mode", resource: `api: {container: {image: "x:1", volumes: ["${env.V:-./data:/app:z}"]}}`,
			code: "invalid-volume", path: "resources.api.container.volumes[0]",
			message: `resources.api.container.volumes[0]: invalid volume mapping "./data:/app:z": unsupported mode "z"`},
		{name: "volume leaves the manifest directory", resource: `api: {container: {image: "x:1", volumes: ["${env.V}:/x"]}}`,
			env: map[string]string{"V": "./a/../b"}, code: "invalid-volume", path: "resources.api.container.volumes[0]",
			message: `resources.api.container.volumes[0]: invalid volume mapping "./a/../b:/x": `},
		{name: "duplicate target after resolution", resource: `api: {container: {image: "x:1", volumes: ["a:/data", "${env.T:-b:/data/}"]}}`,
			code: "duplicate-mount-target", path: "resources.api.container.volumes[1]",
			message: `resources.api.container.volumes[1]: target "/data/" is already mounted by volumes[0]`},
		{name: "blank entrypoint string", resource: `api: {container: {image: "x:1", entrypoint: "${env.E:-}"}}`,
			code: "empty-entrypoint", path: "resources.api.container.entrypoint",
			message: "resources.api.container.entrypoint: entrypoint is empty; remove it to keep the image entrypoint, or give a command vector"},
		{name: "blank target", resource: `web: {dockerfile: {context: "${env.C:-./web}", dockerfile: "/etc/hostname", target: "${env.T:-}"}}`,
			code: "empty-value", path: "resources.web.dockerfile.target", message: "resources.web.dockerfile.target: must not be empty"},
		{name: "NUL in a secret from env", resource: `api: {container: {image: "x:1", secrets: {TOKEN: "${env.T}"}}}`,
			env: map[string]string{"T": "s3cret\x00tail"}, code: "nul-in-value", path: "resources.api.container.secrets.TOKEN",
			message: "resources.api.container.secrets.TOKEN: the value contains a NUL byte, which no environment variable, argument or path can hold; remove it (the value is not shown)"},
		{name: "NUL in a postgres password", resource: `db: {postgres: {password: "pre${env.T}"}}`,
			env: map[string]string{"T": "s3cret\x00"}, code: "nul-in-value", path: "resources.db.postgres.password",
			message: "resources.db.postgres.password: the value contains a NUL byte"},
		{name: "NUL in a volume is not also an invalid mapping", resource: `api: {container: {image: "x:1", volumes: ["${env.V}:/x"]}}`,
			env: map[string]string{"V": "./a\x00b"}, code: "nul-in-value", path: "resources.api.container.volumes[0]",
			message: "resources.api.container.volumes[0]: the value contains a NUL byte"},
		{name: "unresolvable field is not re-checked", resource: `db: {postgres: {database: "${env.DB}"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := buildDiags(t, manifestOf("shop", tt.resource), Options{Env: testEnv(tt.env)})
			if tt.message == "" {
				if len(diags) != 0 || p == nil {
					t.Fatalf("diags = %v", diags)
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("diags = %v, want one %s", diags, tt.code)
			}
			d := diags[0]
			if d.Code != tt.code || d.Path != tt.path || !strings.HasPrefix(d.Message, tt.message) ||
				d.Pos.Line != 4 || d.File != "lightshuttle.yml" || d.Resource == "" {
				t.Errorf("diag = %+v\nwant code %s path %s message %q at line 4", d, tt.code, tt.path, tt.message)
			}
			if strings.Contains(d.Message, "s3cret") {
				t.Errorf("the diagnostic shows the value: %q", d.Message)
			}
			if tt.warning != (d.Severity == "warning") || (p == nil) != !tt.warning {
				t.Errorf("severity %s, plan %v", d.Severity, p != nil)
			}
		})
	}
}
