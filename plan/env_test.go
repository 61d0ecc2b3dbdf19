package plan

import "github.com/lightshuttle/lsctl/manifest"

// testEnv is an environment whose dotenv file /p/.env defines exactly vars (an empty
// value hides the variable, docs/spec/manifest.md §25) and whose process environment is empty.
func testEnv(vars map[string]string) *manifest.Env {
	return manifest.NewEnv("/p/.env", vars, nil)
}
