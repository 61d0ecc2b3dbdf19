package export

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
)

// strictDecoder decodes YAML into k8s.io/api types and fails on unknown or duplicate
// fields.
func strictDecoder(t testing.TB) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := appsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// kubeObjects is what a Kubernetes export holds, by kind and name.
type kubeObjects struct {
	namespaces  []*corev1.Namespace
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	claims      map[string]*corev1.PersistentVolumeClaim
}

// decodeObjects strictly decodes every document; file names the source in errors.
func decodeObjects(t *testing.T, docs map[string]string) *kubeObjects {
	t.Helper()
	dec := strictDecoder(t)
	k := &kubeObjects{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, claims: map[string]*corev1.PersistentVolumeClaim{}}
	for file, data := range docs {
		obj, _, err := dec.Decode([]byte(data), nil, nil)
		if err != nil {
			t.Errorf("%s does not decode strictly: %v", file, err)
			continue
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			k.namespaces = append(k.namespaces, o)
		case *appsv1.Deployment:
			k.deployments[o.Name] = o
		case *corev1.Service:
			k.services[o.Name] = o
		case *corev1.ConfigMap:
			k.configMaps[o.Name] = o
		case *corev1.Secret:
			k.secrets[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			k.claims[o.Name] = o
		default:
			t.Errorf("%s: unexpected object %T", file, obj)
		}
	}
	return k
}

// readDir reads every file under dir, keyed by relative path.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readGoldens(t, dir)
}

// TestKubernetesDecodesStrictly writes each case and decodes every file into its
// k8s.io/api type, then checks the round trip against the plan (issue 7 item 4).
func TestKubernetesDecodesStrictly(t *testing.T) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, name)
			objs := decodeObjects(t, readDir(t, writeCase(t, p, TargetKubernetes)))
			if len(objs.namespaces) != 1 {
				t.Fatalf("want one Namespace, got %d", len(objs.namespaces))
			}
			ns := objs.namespaces[0].Name
			for _, d := range objs.deployments {
				if d.Namespace != ns {
					t.Errorf("deployment %s in namespace %q, want %q", d.Name, d.Namespace, ns)
				}
			}
			st, err := newStack(p, TargetKubernetes)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, st, objs)
		})
	}
}

// checkRoundTrip checks that the decoded objects reproduce the plan: images, ports,
// environment keys, probes, dependency order, replicas, names valid for Kubernetes.
func checkRoundTrip(t *testing.T, st *stack, objs *kubeObjects) {
	t.Helper()
	if len(objs.deployments) != len(st.services) {
		t.Errorf("%d deployments for %d enabled resources", len(objs.deployments), len(st.services))
	}
	for _, sv := range st.services {
		d := objs.deployments[sv.DNS]
		if d == nil {
			t.Errorf("no Deployment %s for resource %s", sv.DNS, sv.Name)
			continue
		}
		if errs := validation.IsDNS1123Label(d.Name); len(errs) > 0 {
			t.Errorf("deployment name %q: %v", d.Name, errs)
		}
		if d.Spec.Replicas == nil || int(*d.Spec.Replicas) != sv.Replicas {
			t.Errorf("%s replicas = %v, want %d", sv.Name, d.Spec.Replicas, sv.Replicas)
		}
		pod := d.Spec.Template.Spec
		c := pod.Containers[0]
		if c.Image != sv.node.Spec.Image || string(c.ImagePullPolicy) != sv.PullPolicy {
			t.Errorf("%s image %q %q, want %q %q", sv.Name, c.Image, c.ImagePullPolicy, sv.node.Spec.Image, sv.PullPolicy)
		}
		checkPorts(t, sv, c, objs.services[sv.DNS])
		checkEnvKeys(t, sv, c, objs)
		checkProbes(t, sv, c)
		var waits []string
		for _, ic := range pod.InitContainers {
			waits = append(waits, strings.TrimPrefix(ic.Name, "wait-"))
		}
		var want []string
		for _, dep := range sv.Deps {
			if len(st.byName[dep].Ports) > 0 {
				want = append(want, st.byName[dep].DNS)
			}
		}
		if !reflect.DeepEqual(waits, want) {
			t.Errorf("%s init containers wait for %v, want %v (dependency order)", sv.Name, waits, want)
		}
		for _, v := range pod.Volumes {
			if v.PersistentVolumeClaim != nil && objs.claims[v.PersistentVolumeClaim.ClaimName] == nil {
				t.Errorf("%s mounts missing claim %s", sv.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
}

func checkPorts(t *testing.T, sv *service, c corev1.Container, svc *corev1.Service) {
	t.Helper()
	var want, got, gotSvc []int32
	for _, p := range sv.containerPorts() {
		want = append(want, int32(p))
	}
	for _, p := range c.Ports {
		got = append(got, p.ContainerPort)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s container ports %v, want %v", sv.Name, got, want)
	}
	if len(want) == 0 {
		if svc != nil {
			t.Errorf("%s has no ports but a Service", sv.Name)
		}
		return
	}
	if svc == nil {
		t.Errorf("%s has ports but no Service named %s", sv.Name, sv.DNS)
		return
	}
	if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
		t.Errorf("service name %q: %v", svc.Name, errs)
	}
	for _, p := range svc.Spec.Ports {
		gotSvc = append(gotSvc, p.Port)
		if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
			t.Errorf("service %s port name %q: %v", svc.Name, p.Name, errs)
		}
	}
	if !reflect.DeepEqual(gotSvc, want) || svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("%s service ports %v type %s, want %v ClusterIP", sv.Name, gotSvc, svc.Spec.Type, want)
	}
}

// checkEnvKeys: ConfigMap and Secret keys together are the plan's environment keys
// (plus PGDATA for a postgres volume), and every Secret value is an empty placeholder.
func checkEnvKeys(t *testing.T, sv *service, c corev1.Container, objs *kubeObjects) {
	t.Helper()
	var got []string
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := objs.configMaps[from.ConfigMapRef.Name]
			if cm == nil {
				t.Fatalf("%s: missing ConfigMap %s", sv.Name, from.ConfigMapRef.Name)
			}
			for k := range cm.Data {
				got = append(got, k)
			}
		case from.SecretRef != nil:
			s := objs.secrets[from.SecretRef.Name]
			if s == nil {
				t.Fatalf("%s: missing Secret %s", sv.Name, from.SecretRef.Name)
			}
			for k, v := range s.StringData {
				got = append(got, k)
				if v != "" {
					t.Errorf("%s: Secret %s key %s holds a value, want an empty placeholder", sv.Name, s.Name, k)
				}
			}
		}
	}
	var want []string
	for _, e := range sv.node.Spec.Env {
		want = append(want, e.Name)
	}
	if sv.node.Health != nil {
		for _, e := range sv.node.Health.Env {
			want = append(want, e.Name)
		}
	}
	for _, v := range sv.node.Spec.Volumes {
		if v.TargetFromImageEnv == "PGDATA" {
			want = append(want, "PGDATA")
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s environment keys\n got %v\nwant %v", sv.Name, got, want)
	}
	for _, k := range got {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			t.Errorf("%s env key %q: %v", sv.Name, k, errs)
		}
	}
}

// checkProbes: a healthcheck becomes readiness and liveness probes with whole-second
// timings of at least one second; no healthcheck, no probe.
func checkProbes(t *testing.T, sv *service, c corev1.Container) {
	t.Helper()
	h := sv.node.Health
	if h == nil {
		if c.ReadinessProbe != nil || c.LivenessProbe != nil {
			t.Errorf("%s has no healthcheck but probes", sv.Name)
		}
		return
	}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if pr == nil || pr.Exec == nil {
			t.Errorf("%s: missing exec probe", sv.Name)
			continue
		}
		if pr.PeriodSeconds < 1 || pr.TimeoutSeconds < 1 || int(pr.FailureThreshold) != h.Retries {
			t.Errorf("%s probe timings %+v (retries %d)", sv.Name, pr, h.Retries)
		}
		if int(pr.PeriodSeconds) != seconds(h.Interval, 1) {
			t.Errorf("%s probe period %d for interval %s", sv.Name, pr.PeriodSeconds, h.Interval)
		}
		want := h.Argv
		if strings.Join(pr.Exec.Command, " ") != strings.Join(want, " ") && !strings.Contains(strings.Join(pr.Exec.Command, " "), "${") {
			t.Errorf("%s probe command %q, want %q", sv.Name, pr.Exec.Command, want)
		}
	}
}

// TestKubernetesNamesNeverCollide: foo_bar and foo-bar get distinct objects (docs/spec/manifest.md
// §19), and every emitted file name is distinct.
func TestKubernetesNamesNeverCollide(t *testing.T) {
	p := loadCase(t, "full")
	res := renderCase(t, p, TargetKubernetes)
	files := fileMap(res)
	for _, want := range []string{"foo-bar-deployment.yaml", "foo-bar-01efffdd-deployment.yaml", "foo-bar-service.yaml", "foo-bar-01efffdd-service.yaml"} {
		if _, ok := files[want]; !ok {
			t.Errorf("missing %s (have %d files)", want, len(files))
		}
	}
	if len(files) != len(res.Files) {
		t.Errorf("duplicate file names among %d files", len(res.Files))
	}
}
