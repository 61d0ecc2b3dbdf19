package export

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

// warnHook collects compose-go's warnings (it reports them through logrus).
type warnHook struct{ msgs []string }

func (h *warnHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.WarnLevel, logrus.ErrorLevel}
}
func (h *warnHook) Fire(e *logrus.Entry) error { h.msgs = append(h.msgs, e.Message); return nil }

// loadCompose loads an exported compose file with compose-go, with every variable of
// .env.example set as a user would, and fails on any error or warning.
func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	var env []string
	if data, err := os.ReadFile(filepath.Join(dir, ".env.example")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, ok := strings.CutSuffix(l, "="); ok && !strings.HasPrefix(l, "#") {
				env = append(env, k+"=value-of-"+k)
			}
		}
	}
	hook := &warnHook{}
	logger := logrus.StandardLogger()
	saved := logger.ReplaceHooks(logrus.LevelHooks{})
	logger.AddHook(hook)
	defer logger.ReplaceHooks(saved)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")}, cli.WithWorkingDirectory(dir), cli.WithEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go cannot load the export: %v", err)
	}
	if len(hook.msgs) > 0 {
		t.Errorf("compose-go warnings: %q", hook.msgs)
	}
	return proj
}

// TestComposeLoads loads each exported compose file with compose-go and checks the
// round trip against the plan: images, ports, environment keys, healthchecks and
// dependencies (issue 7 items 3-4).
func TestComposeLoads(t *testing.T) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, name)
			proj := loadCompose(t, writeCase(t, p, TargetCompose))
			st, err := newStack(p, TargetCompose)
			if err != nil {
				t.Fatal(err)
			}
			if len(proj.Services) != len(st.services) {
				t.Errorf("%d services, want %d", len(proj.Services), len(st.services))
			}
			for _, sv := range st.services {
				svc, ok := proj.Services[sv.Name]
				if !ok {
					t.Errorf("no service %s", sv.Name)
					continue
				}
				checkComposeService(t, st, sv, svc)
			}
		})
	}
}

func checkComposeService(t *testing.T, st *stack, sv *service, svc types.ServiceConfig) {
	t.Helper()
	n := sv.node
	if svc.Image != n.Spec.Image {
		t.Errorf("%s image %q, want %q", sv.Name, svc.Image, n.Spec.Image)
	}
	var got, want []string
	for _, p := range svc.Ports {
		got = append(got, p.HostIP+":"+p.Published+":"+strconv.Itoa(int(p.Target)))
	}
	for _, p := range n.Spec.Ports {
		want = append(want, p.HostIP+":"+strconv.Itoa(int(p.RequestedHostPort))+":"+strconv.Itoa(int(p.ContainerPort)))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s ports %v, want %v", sv.Name, got, want)
	}
	got, want = nil, nil
	for k := range svc.Environment {
		got = append(got, k)
	}
	for _, e := range sv.Env {
		want = append(want, e.Name)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s env keys %v, want %v", sv.Name, got, want)
	}
	if (svc.HealthCheck != nil) != (n.Health != nil) {
		t.Fatalf("%s healthcheck %v, plan %v", sv.Name, svc.HealthCheck, n.Health)
	}
	if h := svc.HealthCheck; h != nil {
		if h.Interval == nil || int64(*h.Interval) != int64(n.Health.Interval) || h.Retries == nil || int(*h.Retries) != n.Health.Retries ||
			h.StartPeriod == nil || int64(*h.StartPeriod) != int64(n.Health.StartPeriod) || h.Timeout == nil || int64(*h.Timeout) != int64(n.Health.Timeout) {
			t.Errorf("%s healthcheck timings %+v, plan %+v", sv.Name, h, n.Health)
		}
		want := n.Health.Test
		if sv.Health.Shell {
			want = []string{"CMD-SHELL", n.Health.Argv[2]}
		}
		plain := true
		for _, a := range sv.Health.Test {
			plain = plain && a.plain()
		}
		// A test without secrets comes back exactly, "$" included; one with secrets
		// has the references resolved from the environment instead.
		if h.Test[0] != want[0] || plain && !reflect.DeepEqual([]string(h.Test), want) {
			t.Errorf("%s healthcheck test %q, plan %q", sv.Name, h.Test, want)
		}
	}
	got, want = nil, append([]string(nil), sv.Deps...)
	for d, dep := range svc.DependsOn {
		got = append(got, d)
		wantCond := "service_started"
		if st.byName[d] != nil && st.byName[d].Health != nil {
			wantCond = "service_healthy"
		}
		if dep.Condition != wantCond {
			t.Errorf("%s depends on %s with %s, want %s", sv.Name, d, dep.Condition, wantCond)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s depends_on %v, want %v", sv.Name, got, want)
	}
}
