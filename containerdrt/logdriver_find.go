package containerdrt

import (
	"os"
	"os/exec"
	"path/filepath"
)

// LogDriverName is the dedicated log driver executable that the shim runs once per
// running container. Built from ./containerdrt/logdriver/lsctl-log-driver, it costs
// about 2.6 MB of RSS where lsctl itself, which can serve too, costs about 23 MB.
const LogDriverName = "lsctl-log-driver"

// LogDriverChoice is the log driver lsctl will use and why.
type LogDriverChoice struct {
	Path string
	// Source is "LSCTL_LOG_DRIVER", "beside lsctl", "PATH" or "lsctl itself".
	Source string
}

// Dedicated reports whether the choice is the small dedicated driver rather than
// the whole lsctl executable.
func (c LogDriverChoice) Dedicated() bool {
	return filepath.Base(c.Path) == LogDriverName
}

// FindLogDriver picks the log driver: the explicit one (LSCTL_LOG_DRIVER), else
// lsctl-log-driver beside the running lsctl, else on PATH, else lsctl itself (its
// hidden __log-driver command: it works, at ten times the memory per container).
func FindLogDriver(explicit string) LogDriverChoice {
	if explicit != "" {
		return LogDriverChoice{Path: explicit, Source: "LSCTL_LOG_DRIVER"}
	}
	exe, _ := os.Executable()
	if exe != "" {
		beside := filepath.Join(filepath.Dir(exe), LogDriverName)
		if isExecutable(beside) {
			return LogDriverChoice{Path: beside, Source: "beside lsctl"}
		}
	}
	if p, err := exec.LookPath(LogDriverName); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return LogDriverChoice{Path: abs, Source: "PATH"}
		}
	}
	return LogDriverChoice{Path: exe, Source: "lsctl itself"}
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
