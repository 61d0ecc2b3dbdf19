package containerdrt

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"syscall"
)

// dataRootEntries are the names lsctl creates directly under a data root.
var dataRootEntries = []string{"cni", "lock", "networks", "projects", "volumes"}

// EnsureDataRoot creates the data root with mode 0700, or checks an existing one.
// A data root that other users can write to (a 1777 directory, say) lets them replace
// lsctl's state or plant files in it: when it holds nothing but what lsctl creates
// there and belongs to this user, it is tightened to 0700 and tightened is true, so
// that the caller says so; otherwise it is refused. Modes without group or other
// write (the 0711 of older versions, a hand-made 0755) are kept: everything below the
// data root is 0700 or 0600 itself.
func EnsureDataRoot(dir string) (tightened bool, err error) {
	st, err := os.Stat(dir)
	if os.IsNotExist(err) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("create data root %s: %w", dir, err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("data root %s: %w", dir, err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("data root %s is not a directory; pass --data-root (or LSCTL_DATA_ROOT) a directory", dir)
	}
	mode := st.Mode()
	if mode.Perm()&0o022 == 0 && mode&os.ModeSticky == 0 {
		return false, nil
	}
	foreign, err := foreignEntries(dir)
	if err != nil {
		return false, err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		foreign = append([]string{fmt.Sprintf("(the directory belongs to uid %d)", sys.Uid)}, foreign...)
	}
	if len(foreign) > 0 {
		return false, fmt.Errorf("data root %s has mode %v, so other users can read or replace lsctl's state in it, and it holds %q, which lsctl did not create; pass --data-root (or LSCTL_DATA_ROOT) a directory of lsctl's own, or make this one 0700", dir, mode.Perm()|mode&os.ModeSticky, foreign)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return false, fmt.Errorf("tighten data root %s to 0700: %w", dir, err)
	}
	return true, nil
}

// foreignEntries lists what a data root holds that lsctl does not create there.
func foreignEntries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read data root %s: %w", dir, err)
	}
	var foreign []string
	for _, e := range entries {
		if !slices.Contains(dataRootEntries, e.Name()) {
			foreign = append(foreign, e.Name())
		}
	}
	sort.Strings(foreign)
	return foreign, nil
}
