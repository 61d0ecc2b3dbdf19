// Command lsctl runs a lightshuttle.yml stack on containerd.
package main

import (
	"os"

	"github.com/lightshuttle/lsctl/cli"
	"github.com/lightshuttle/lsctl/containerdrt/logdriver"
)

func main() {
	// The containerd shim starts lsctl as its binary log driver (docs/spec/runtime.md §10.1); that
	// path must not pay for, or be disturbed by, the CLI's initialisation.
	if len(os.Args) > 1 && os.Args[1] == logdriver.Command {
		os.Exit(logdriver.Run(os.Args[2:]))
	}
	os.Exit(cli.Main(os.Args))
}
