package cli

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/lightshuttle/lsctl/actors"
	"github.com/lightshuttle/lsctl/plan"
)

func (s *session) portCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "port",
		Usage:     "print the host address of a resource's published port",
		UsageText: "lsctl port RESOURCE [CONTAINER_PORT]",
		Description: "With CONTAINER_PORT, prints only its host address (127.0.0.1:15432), for scripts; " +
			"without, one `<container port>/tcp -> <host address>` line per published port.",
		Action: s.portAction,
	}
}

func (s *session) portAction(c *ucli.Context) error {
	if err := needArgs(c, 1, 2, "RESOURCE"); err != nil {
		return err
	}
	var want uint16
	if c.Args().Len() == 2 {
		p, err := parseContainerPort(c.Args().Get(1))
		if err != nil {
			return usagef(c, "%v", err)
		}
		want = p
	}
	ld, err := s.load("", false)
	if err != nil {
		return err
	}
	v, err := s.runningResource(c.Context, ld, c.Args().First())
	if err != nil {
		return err
	}
	if want == 0 {
		for _, p := range v.Ports {
			fmt.Fprintf(s.stdout, "%d/tcp -> %s\n", p.ContainerPort, hostAddress(p))
		}
		return nil
	}
	i := slices.IndexFunc(v.Ports, func(p plan.PortBinding) bool { return p.ContainerPort == want })
	if i < 0 {
		return unpublished(v, want)
	}
	fmt.Fprintln(s.stdout, hostAddress(v.Ports[i]))
	return nil
}

// parseContainerPort reads 5432 or 5432/tcp.
func parseContainerPort(arg string) (uint16, error) {
	num, proto, hasProto := strings.Cut(arg, "/")
	if hasProto && proto != "tcp" {
		return 0, fmt.Errorf("invalid port %q: lsctl publishes TCP ports only", arg)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid port %q: expected a container port number 1-65535, e.g. 5432", arg)
	}
	return uint16(n), nil
}

// hostAddress is where a published port answers on the host.
func hostAddress(p plan.PortBinding) string {
	return net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
}

// unpublished says that a port is not published and which ones are.
func unpublished(v actors.View, port uint16) error {
	if len(v.Ports) == 0 {
		return fmt.Errorf("resource %q publishes no port; add %d to its ports in lightshuttle.yml", v.Name, port)
	}
	var ports []string
	for _, p := range v.Ports {
		ports = append(ports, strconv.Itoa(int(p.ContainerPort)))
	}
	return fmt.Errorf("resource %q does not publish container port %d; it publishes %s", v.Name, port, strings.Join(ports, ", "))
}
