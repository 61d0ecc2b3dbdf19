// Command lsctl runs a lightshuttle.yml stack on containerd.
package main

import (
	"os"

	"github.com/lightshuttle/lsctl/cli"
)

func main() { os.Exit(cli.Main(os.Args)) }
