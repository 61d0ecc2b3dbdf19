package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lightshuttle/lsctl/cli/render"
	ucli "github.com/urfave/cli/v2"
)

func (s *session) topCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "top",
		Usage:     "list the processes of a resource's container",
		UsageText: "lsctl top RESOURCE",
		Description: "PID is the process's number inside the container (what `lsctl exec RESOURCE -- kill PID` takes), " +
			"HOST PID its number on the host, TIME its CPU time.",
		Action: s.topAction,
	}
}

func (s *session) topAction(c *ucli.Context) error {
	if err := needArgs(c, 1, 1, "RESOURCE"); err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	id, rt, err := s.connectRunning(c.Context, ld, c.Args().First())
	if err != nil {
		return err
	}
	defer rt.Close()
	procs, err := rt.Processes(c.Context, id)
	if err != nil {
		return err
	}
	redact := func(s string) string { return s }
	if p, _ := s.readOnlyPlan(ld, false); p != nil {
		redact = p.Redactor().Redact // command lines can carry passwords (redis --requirepass)
	}
	rows := [][]string{{"PID", "HOST PID", "USER", "TIME", "COMMAND"}}
	for _, p := range procs {
		rows = append(rows, []string{strconv.Itoa(p.PID), strconv.Itoa(p.HostPID), p.User, cpuTime(p.CPUTime), redact(p.Command)})
	}
	render.WriteTable(s.stdout, rows)
	return nil
}

// cpuTime renders a CPU time as ps does: HH:MM:SS.
func cpuTime(d time.Duration) string {
	secs := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}
