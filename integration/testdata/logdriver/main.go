// Command logdriver is a stand-in for lsctl as the shim's binary log driver when the
// rest of lsctl does not build: it runs exactly what `lsctl __log-driver PATH` runs.
package main

import (
	"os"

	"github.com/lightshuttle/lsctl/containerdrt/logdriver"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == logdriver.Command {
		os.Exit(logdriver.Run(os.Args[2:]))
	}
	os.Exit(2)
}
