package integration

import (
	"os"
	"testing"

	"github.com/lightshuttle/lsctl/integration/harness"
)

// TestMain removes the lsctl binary that harness.Binary builds once per test process.
func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
