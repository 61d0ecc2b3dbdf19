// Package cli is lsctl's command line: urfave/cli/v2 commands, terminal rendering, and
// the control API server and client.
package cli

// Main runs lsctl with args (os.Args) and returns the process exit code.
func Main(args []string) int {
	return 0
}
