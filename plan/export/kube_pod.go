package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lightshuttle/lsctl/manifest"
	"github.com/lightshuttle/lsctl/plan"
)

// deployment is the resource's Deployment; hasConfig/hasSecret tell which of its
// ConfigMap and Secret exist.
func (k *kube) deployment(sv *service, hasConfig, hasSecret bool) omap {
	mounts, volumes, pvc := k.volumes(sv)
	c := k.container(sv, hasConfig, hasSecret)
	if len(mounts) > 0 {
		c = append(c, kv{"volumeMounts", mounts})
	}
	pod := omap{}
	if inits := k.initContainers(sv); len(inits) > 0 {
		pod = append(pod, kv{"initContainers", inits})
	}
	pod = append(pod, kv{"containers", []omap{c}})
	if len(volumes) > 0 {
		pod = append(pod, kv{"volumes", volumes})
	}
	spec := omap{{"replicas", k.v.replicas(sv)}, {"selector", omap{{"matchLabels", k.labels(sv)}}}}
	if pvc {
		// A ReadWriteOnce claim cannot be mounted by the old and the new pod at once.
		spec = append(spec, kv{"strategy", omap{{"type", "Recreate"}}})
	}
	spec = append(spec, kv{"template", omap{{"metadata", omap{{"labels", k.labels(sv)}}}, {"spec", pod}}})
	return omap{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", k.meta(sv.DNS, sv)}, {"spec", spec}}
}

// kubeEscape doubles "$" so that the kubelet does not expand $(...) in user text.
func kubeEscape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// kubeRef is a reference the kubelet expands from the container environment.
func kubeRef(name string) string { return "$(" + name + ")" }

// container is the resource's container: entrypoint becomes command, command becomes
// args (Docker and Kubernetes combine them the same way).
func (k *kube) container(sv *service, hasConfig, hasSecret bool) omap {
	c := omap{{"name", sv.DNS}, {"image", k.v.image(sv)}, {"imagePullPolicy", k.v.pullPolicy(sv)}}
	command, args := sv.Entrypoint, sv.Command
	if len(command) == 1 && len(command[0]) == 0 {
		// entrypoint [""] clears the image ENTRYPOINT: the command vector runs alone.
		command, args = args, nil
		if command == nil {
			k.warn = append(k.warn, fmt.Sprintf("resource %s clears the image entrypoint without a command; the image default is kept", sv.Name))
		}
	}
	if command != nil {
		c = append(c, kv{"command", renderArgs(command, kubeEscape, kubeRef)})
	}
	if args != nil {
		c = append(c, kv{"args", renderArgs(args, kubeEscape, kubeRef)})
	}
	if sv.WorkingDir != nil {
		c = append(c, kv{"workingDir", sv.WorkingDir.render(identity, func(string) string { return "" })})
	}
	if ports := sv.containerPorts(); len(ports) > 0 {
		var ps []omap
		for _, p := range ports {
			ps = append(ps, omap{{"containerPort", int(p)}, {"protocol", "TCP"}})
		}
		c = append(c, kv{"ports", ps})
	}
	var from []omap
	if hasConfig {
		from = append(from, omap{{"configMapRef", omap{{"name", sv.DNS + "-env"}}}})
	}
	if hasSecret {
		from = append(from, omap{{"secretRef", omap{{"name", sv.DNS + "-secrets"}}}})
	}
	if len(from) > 0 {
		c = append(c, kv{"envFrom", from})
	}
	if sv.Health != nil {
		c = append(c, kv{"readinessProbe", probe(sv.Health, false)}, kv{"livenessProbe", probe(sv.Health, true)})
		if n := sv.Health.Native; n != nil && n.Protocol == plan.ProbeHTTP && n.Status != 0 {
			k.warn = append(k.warn, fmt.Sprintf("resource %s expects HTTP status %d; a Kubernetes httpGet probe accepts any status from 200 to 399", sv.Name, n.Status))
		}
	}
	return c
}

func identity(s string) string { return s }

func renderArgs(in []arg, esc, ref func(string) string) []string {
	out := make([]string, len(in))
	for i, a := range in {
		out[i] = a.render(esc, ref)
	}
	return out
}

// probe maps a healthcheck to a probe with whole-second timings of at least 1: httpGet
// and tcpSocket for the http and tcp forms (the kubelet accepts any status from 200 to
// 399, so an exact `status` is not checked there), exec for the others.
// The liveness probe waits for the start period, when failures do not count in lsctl.
func probe(h *health, liveness bool) omap {
	p := omap{{"exec", omap{{"command", probeCommand(h)}}}}
	if n := h.Native; n != nil && n.Protocol == plan.ProbeHTTP {
		p = omap{{"httpGet", omap{{"path", n.Path}, {"port", int(n.Port)}}}}
	} else if n != nil && n.Protocol == plan.ProbeTCP {
		p = omap{{"tcpSocket", omap{{"port", int(n.Port)}}}}
	}
	if liveness && h.StartPeriod > 0 {
		p = append(p, kv{"initialDelaySeconds", seconds(h.StartPeriod, 1)})
	}
	return append(p, kv{"periodSeconds", seconds(h.Interval, 1)}, kv{"timeoutSeconds", seconds(h.Timeout, 1)},
		kv{"failureThreshold", h.Retries})
}

// probeCommand is the probe's argv. Exec probes are not expanded by the kubelet, so a
// secret reference goes through a shell that reads it from the container environment.
func probeCommand(h *health) []string {
	shellRef := func(name string) string { return `"${` + name + `}"` }
	if h.Shell {
		return []string{"/bin/sh", "-c", h.Test[0].render(identity, shellRef)}
	}
	plain := true
	for _, a := range h.Test {
		plain = plain && a.plain()
	}
	if plain {
		return renderArgs(h.Test, identity, nil)
	}
	words := make([]string, len(h.Test))
	for i, a := range h.Test {
		words[i] = a.render(shellQuote, shellRef)
	}
	return []string{"/bin/sh", "-c", strings.Join(words, " ")}
}

// shellQuote single-quotes literal text for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// initContainers wait, in dependency order, for each dependency's Service port: the
// Kubernetes counterpart of lsctl starting a resource once its dependencies are ready.
func (k *kube) initContainers(sv *service) []omap {
	var out []omap
	for _, d := range sv.Deps {
		dep := k.st.byName[d]
		ports := dep.containerPorts()
		if len(ports) == 0 {
			k.warn = append(k.warn, fmt.Sprintf("resource %s depends on %s, which has no port to wait for; start order is not enforced", sv.Name, d))
			continue
		}
		name := "wait-" + dep.DNS
		if len(name) > 63 {
			name = "wait-" + manifest.FNV32a(dep.DNS)
		}
		target := dep.DNS + " " + strconv.Itoa(int(ports[0]))
		script := "until nc -z -w 2 " + target + "; do echo waiting for " + target + "; sleep 2; done"
		out = append(out, omap{{"name", name}, {"image", waitImage}, {"imagePullPolicy", "IfNotPresent"},
			{"command", []string{"sh", "-c", script}}})
	}
	return out
}

// volumes maps named volumes to their claims and bind mounts to hostPath volumes (which
// only work on a single node: a warning says so). pvc reports whether a claim is used.
func (k *kube) volumes(sv *service) (mounts, volumes []omap, pvc bool) {
	for i, v := range sv.Volumes {
		name := "data-" + strconv.Itoa(i)
		var src omap
		if v.Kind == plan.VolumeBind {
			name = "host-" + strconv.Itoa(i)
			src = omap{{"hostPath", omap{{"path", v.Source}, {"type", "DirectoryOrCreate"}}}}
			k.warn = append(k.warn, fmt.Sprintf("resource %s: host path %s becomes a hostPath volume, which only exists on the node the pod runs on", sv.Name, v.Source))
		} else {
			pvc = true
			src = omap{{"persistentVolumeClaim", omap{{"claimName", dnsName(v.Source)}}}}
		}
		mount := omap{{"name", name}, {"mountPath", v.Target}}
		if v.ReadOnly {
			mount = append(mount, kv{"readOnly", true})
		}
		mounts = append(mounts, mount)
		volumes = append(volumes, append(omap{{"name", name}}, src...))
	}
	return mounts, volumes, pvc
}
