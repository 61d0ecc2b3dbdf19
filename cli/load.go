package cli

import (
	"github.com/lightshuttle/lsctl/cli/render"
	"github.com/lightshuttle/lsctl/manifest"
)

// loaded is a manifest read for a command, with its environment.
type loaded struct {
	manifest *manifest.Manifest
	env      *manifest.Env
}

// loadRaw reads the manifest and the dotenv file (docs/spec/manifest.md §1, §24); envFile is the
// command's --env-file, which overrides the global one.
func (s *session) loadRaw(envFile string) (*manifest.Manifest, *manifest.Env, manifest.Diagnostics) {
	if envFile == "" {
		envFile = s.opts.EnvFile
	}
	return manifest.Load(manifest.LoadOptions{File: s.opts.File, EnvFile: envFile, LookupEnv: s.lookupEnv})
}

// load reads the manifest for a command that needs a valid one: warnings go to stderr
// (errors under strict), errors are printed and end the command with exit 1.
func (s *session) load(envFile string, strict bool) (*loaded, error) {
	m, env, diags := s.loadRaw(envFile)
	if strict {
		diags = diags.Strict()
	}
	render.WriteDiagnostics(s.stderr, diags)
	if diags.HasErrors() || m == nil || env == nil {
		return nil, silentFailure()
	}
	return &loaded{manifest: m, env: env}, nil
}

// manifestSchema is the manifest's JSON Schema (lsctl schema, docs/manifest.schema.json).
func manifestSchema() []byte { return manifest.JSONSchema() }
