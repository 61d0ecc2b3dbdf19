package cli

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/containerdrt"
)

func (s *session) execCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "exec",
		Usage:     "run a command in a resource's running container",
		UsageText: "lsctl exec [-i] [-t] [-T] [-e K=V]... [-u USER] [-w DIR] RESOURCE [--] CMD [ARG...]",
		Description: "The command gets the container's environment (the injected URLs included) plus -e, " +
			"and its exit code becomes lsctl's. With stdin and stdout on a terminal, -i and -t are the default.",
		Flags:                  attachFlags(),
		UseShortOptionHandling: true, // -it, as people type it
		Action:                 s.execAction,
	}
}

func (s *session) execAction(c *ucli.Context) error {
	o, err := s.parseAttachOptions(c, true)
	if err != nil {
		return err
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	id, rt, err := s.connectRunning(c.Context, ld, o.Resource)
	if err != nil {
		return err
	}
	defer rt.Close()
	spec := containerdrt.ExecSpec{Argv: o.Argv, Env: o.Env, User: o.User, Dir: o.Dir}
	return s.attachProcess(c.Context, o, func(st containerdrt.Streams) (attachedProcess, error) {
		spec.Streams = st
		return rt.StartExec(c.Context, id, spec)
	})
}
