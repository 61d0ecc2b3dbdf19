// Package harness is the shared setup of lsctl's integration tests: it finds the private
// test containerd started by integration/provision.sh, the test image archives built by
// integration/images/build.sh, and a built lsctl binary, and gives every test its own
// containerd namespace and data root.
//
// Outside CI a missing containerd skips the test; with CI or LSCTL_INTEGRATION=1 set it
// fails it, because in CI a skipped integration test is a test that did not run.
package harness
