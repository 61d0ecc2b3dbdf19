// Command lsctl-log-driver is the binary log driver that the containerd shim runs for
// every lsctl container (docs/spec/runtime.md §10.1). It is lsctl's `__log-driver` on its own:
// one process per running container, so it links nothing but the log file writer.
package main

import (
	"os"

	"github.com/lightshuttle/lsctl/containerdrt/logdriver"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == logdriver.Command {
		args = args[1:] // also callable as lsctl is: lsctl-log-driver __log-driver PATH
	}
	os.Exit(logdriver.Run(args))
}
