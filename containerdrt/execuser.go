package containerdrt

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// lookupUser resolves user[:group] (names or numbers) with the /etc/passwd and
// /etc/group of the container whose init process is pid, as `docker exec -u` does,
// and returns the process user and its home directory. The files are read through
// /proc/<pid>/root with symbolic links resolved inside the container's root.
func lookupUser(pid uint32, spec string) (specs.User, string, error) {
	root := "/proc/" + strconv.FormatUint(uint64(pid), 10) + "/root"
	passwd, closeP := openInContainer(root, "/etc/passwd")
	defer closeP()
	group, closeG := openInContainer(root, "/etc/group")
	defer closeG()
	u, err := user.GetExecUser(spec, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		return specs.User{}, "", fmt.Errorf("user %q: %w", spec, err)
	}
	out := specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid)}
	for _, g := range u.Sgids {
		out.AdditionalGids = append(out.AdditionalGids, uint32(g))
	}
	return out, u.Home, nil
}

// openInContainer opens path inside root for reading; a missing file reads as nil
// (the numeric forms of a user still work without /etc/passwd).
func openInContainer(root, path string) (io.Reader, func()) {
	resolved, err := resolveInRoot(root, path)
	if err != nil {
		return nil, func() {}
	}
	f, err := os.Open(resolved)
	if err != nil {
		return nil, func() {}
	}
	return f, func() { f.Close() }
}
