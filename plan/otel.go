package plan

import (
	"slices"

	"github.com/lightshuttle/lsctl/manifest"
)

// The OpenTelemetry variables lsctl injects (docs/spec/runtime.md §20.2).
const (
	EnvOTelEndpoint   = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTelService    = "OTEL_SERVICE_NAME"
	EnvOTelAttributes = "OTEL_RESOURCE_ATTRIBUTES"
)

// InjectOTel points every container and dockerfile resource at the stack's OTLP
// endpoint (docs/spec/runtime.md §20.2): OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME=<resource>
// and OTEL_RESOURCE_ATTRIBUTES naming the project and the resource, each one only
// when the resource does not set it in env or secrets. The values depend only on the
// project, the resource and the endpoint (the project gateway's), so the
// configuration hash stays the same from one up to the next.
func (p *Plan) InjectOTel(endpoint string) {
	for _, n := range p.Nodes {
		if n.Kind != manifest.KindContainer && n.Kind != manifest.KindDockerfile {
			continue
		}
		for _, v := range []EnvVar{
			{Name: EnvOTelEndpoint, Value: endpoint},
			{Name: EnvOTelService, Value: n.Name},
			{Name: EnvOTelAttributes, Value: LabelProject + "=" + p.Project + "," + LabelResource + "=" + n.Name},
		} {
			if !slices.ContainsFunc(n.Spec.Env, func(e EnvVar) bool { return e.Name == v.Name }) {
				n.Spec.Env = append(n.Spec.Env, v)
			}
		}
	}
}
