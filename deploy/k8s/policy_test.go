package k8s

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// longestRequest is the longest a request may run in apid or predictd: their
// HTTP write timeouts (cmd/predictd/main.go: 30 s; cmd/apid/main.go: the
// 10 s request timeout + 20 s).
const longestRequest = 30

// TestOverlaysPolicy renders every overlay and checks what the deployment
// promises, object by object: each rule below is one the issue tracker or
// the README states, and a manifest edit that breaks one fails here before
// any cluster sees it.
func TestOverlaysPolicy(t *testing.T) {
	kubectl := needTool(t, "", "kubectl")
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			r := render(t, kubectl, overlay)
			for _, p := range podSpecs(r) {
				checkPodSpec(t, p.where, p.spec)
			}
			checkServices(t, r, overlay)
			checkPipeline(t, r)
			checkNetworkPolicies(t, r, overlay)
			checkGenerated(t, r)
		})
	}
}

type podSpec struct {
	where string
	spec  any
}

// podSpecs returns the pod template of every workload.
func podSpecs(r *rendered) []podSpec {
	var ps []podSpec
	for _, d := range r.Docs {
		where := fmt.Sprintf("%s/%s", d["kind"], str(get(d, "metadata", "name")))
		switch d["kind"] {
		case "Deployment", "StatefulSet", "Job":
			ps = append(ps, podSpec{where, get(d, "spec", "template", "spec")})
		case "CronJob":
			ps = append(ps, podSpec{where, get(d, "spec", "jobTemplate", "spec", "template", "spec")})
		case "Pod":
			ps = append(ps, podSpec{where, get(d, "spec")})
		}
	}
	return ps
}

// checkPodSpec: non-root, no service-account token, and per container a
// read-only root, no privilege escalation, no capabilities, requests and
// limits.
func checkPodSpec(t *testing.T, where string, spec any) {
	t.Helper()
	if spec == nil {
		t.Errorf("%s: no pod spec", where)
		return
	}
	if get(spec, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: securityContext.runAsNonRoot is not true", where)
	}
	if str(get(spec, "securityContext", "seccompProfile", "type")) != "RuntimeDefault" {
		t.Errorf("%s: seccompProfile is not RuntimeDefault", where)
	}
	if get(spec, "automountServiceAccountToken") != false {
		t.Errorf("%s: automountServiceAccountToken is not false (no pod here talks to the API server)", where)
	}
	containers := append(list(get(spec, "initContainers")), list(get(spec, "containers"))...)
	if len(containers) == 0 {
		t.Errorf("%s: no containers", where)
	}
	for _, c := range containers {
		cw := where + " container " + str(get(c, "name"))
		sc := get(c, "securityContext")
		if get(sc, "readOnlyRootFilesystem") != true {
			t.Errorf("%s: readOnlyRootFilesystem is not true", cw)
		}
		if get(sc, "allowPrivilegeEscalation") != false {
			t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
		}
		if !slices.Contains(list(get(sc, "capabilities", "drop")), any("ALL")) {
			t.Errorf("%s: capabilities.drop does not hold ALL", cw)
		}
		for _, kind := range []string{"requests", "limits"} {
			for _, res := range []string{"cpu", "memory"} {
				if get(c, "resources", kind, res) == nil {
					t.Errorf("%s: no resources.%s.%s", cw, kind, res)
				}
			}
		}
	}
}

// checkServices checks the apid and predictd Deployments, their PDBs, HPAs
// and scrape annotations.
func checkServices(t *testing.T, r *rendered, overlay string) {
	t.Helper()
	deps, pdbs, hpas := r.find("Deployment"), r.find("PodDisruptionBudget"), r.find("HorizontalPodAutoscaler")
	configs := r.find("ConfigMap")
	metricsPort := map[string]string{"apid": "8002", "predictd": "8001"}
	for _, name := range []string{"apid", "predictd"} {
		d := deps[name]
		if d == nil {
			t.Errorf("no Deployment %s", name)
			continue
		}
		pod := get(d, "spec", "template", "spec")
		c := get(pod, "containers", 0)
		replicas, hasReplicas := get(d, "spec", "replicas").(int)
		switch {
		case overlay == "dev" && replicas != 1:
			t.Errorf("Deployment %s: %v replicas, want 1 in dev", name, get(d, "spec", "replicas"))
		case overlay == "prod" && hasReplicas:
			// The HPA owns the count; a fixed one would fight it at
			// every apply.
			t.Errorf("Deployment %s: spec.replicas %d is set in prod, where the HPA owns it", name, replicas)
		}
		if s := get(d, "spec", "strategy"); str(get(s, "type")) != "RollingUpdate" || get(s, "rollingUpdate", "maxUnavailable") != 0 {
			t.Errorf("Deployment %s: strategy %v, want RollingUpdate with maxUnavailable 0", name, s)
		}
		for probe, path := range map[string]string{"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
			if got := str(get(c, probe, "httpGet", "path")); got != path {
				t.Errorf("Deployment %s: %s path %q, want %q", name, probe, got, path)
			}
		}
		sleep, _ := get(c, "lifecycle", "preStop", "sleep", "seconds").(int)
		grace, _ := get(pod, "terminationGracePeriodSeconds").(int)
		if sleep < 5 {
			t.Errorf("Deployment %s: preStop sleep %d s, want at least 5 s so endpoints drain first", name, sleep)
		}
		if grace < sleep+longestRequest {
			t.Errorf("Deployment %s: terminationGracePeriodSeconds %d < preStop %d s + longest request %d s", name, grace, sleep, longestRequest)
		}
		spread := false
		for _, tsc := range list(get(pod, "topologySpreadConstraints")) {
			spread = spread || str(get(tsc, "topologyKey")) == "kubernetes.io/hostname"
		}
		if !spread {
			t.Errorf("Deployment %s: no topology spread across nodes (kubernetes.io/hostname)", name)
		}
		ann := get(d, "spec", "template", "metadata", "annotations")
		if get(ann, "prometheus.io/scrape") != "true" || get(ann, "prometheus.io/port") != metricsPort[name] {
			t.Errorf("Deployment %s: scrape annotations %v, want scrape on port %s", name, ann, metricsPort[name])
		}
		ports := map[string]bool{}
		for _, p := range list(get(c, "ports")) {
			ports[fmt.Sprint(get(p, "containerPort"))] = true
		}
		if !ports[metricsPort[name]] {
			t.Errorf("Deployment %s: metrics port %s is not a container port (%v)", name, metricsPort[name], ports)
		}
		if pdb := pdbs[name]; pdb == nil || get(pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/name") != name {
			t.Errorf("no PodDisruptionBudget selecting %s", name)
		}
		hpa := hpas[name]
		switch {
		case overlay == "prod" && hpa == nil:
			t.Errorf("prod: no HorizontalPodAutoscaler for %s", name)
		case hpa != nil:
			minR, _ := get(hpa, "spec", "minReplicas").(int)
			maxR, _ := get(hpa, "spec", "maxReplicas").(int)
			if str(get(hpa, "apiVersion")) != "autoscaling/v2" || str(get(hpa, "spec", "scaleTargetRef", "name")) != name {
				t.Errorf("HPA %s: %v, want autoscaling/v2 on Deployment %s", name, hpa, name)
			}
			if overlay == "prod" && (minR < 2 || maxR <= minR) {
				t.Errorf("HPA %s: replicas %d to %d, want at least 2 and room to scale up", name, minR, maxR)
			}
		}
	}
	// The cross-team contract: apid's metrics listener on 8002, reachable
	// from the pod network.
	for cmName, cm := range configs {
		if strings.HasPrefix(cmName, "apid-config-") {
			if addr := str(get(cm, "data", "METRICS_ADDR")); !strings.HasSuffix(addr, ":8002") || strings.HasPrefix(addr, "127.") {
				t.Errorf("ConfigMap %s: METRICS_ADDR=%q, want 0.0.0.0:8002", cmName, addr)
			}
		}
	}
}

// checkPipeline: the CronJob runs the stages in order, one run at a time,
// and writes the models volume predictd reads.
func checkPipeline(t *testing.T, r *rendered) {
	t.Helper()
	cj := r.find("CronJob")["nightly-pipeline"]
	if cj == nil {
		t.Fatal("no CronJob nightly-pipeline")
	}
	if p := str(get(cj, "spec", "concurrencyPolicy")); p != "Forbid" {
		t.Errorf("CronJob: concurrencyPolicy %q, want Forbid", p)
	}
	pod := get(cj, "spec", "jobTemplate", "spec", "template", "spec")
	var stages []string
	for _, c := range append(list(get(pod, "initContainers")), list(get(pod, "containers"))...) {
		stages = append(stages, str(get(c, "name")))
	}
	if want := []string{"generate-data", "ingest", "process", "featurize", "train", "infer"}; !slices.Equal(stages, want) {
		t.Errorf("CronJob stages %v, want %v", stages, want)
	}
	claim := func(spec any) string {
		for _, v := range list(get(spec, "volumes")) {
			if get(v, "name") == "models" {
				return str(get(v, "persistentVolumeClaim", "claimName"))
			}
		}
		return ""
	}
	pd := get(r.find("Deployment")["predictd"], "spec", "template", "spec")
	if a, b := claim(pod), claim(pd); a == "" || a != b {
		t.Errorf("models volume: pipeline claims %q, predictd %q: want the same PersistentVolumeClaim", a, b)
	}
	if r.find("PersistentVolumeClaim")[claim(pod)] == nil {
		t.Errorf("no PersistentVolumeClaim %q", claim(pod))
	}
}

// checkNetworkPolicies: default deny, and only apid (and Prometheus)
// reaches predictd and the database.
func checkNetworkPolicies(t *testing.T, r *rendered, overlay string) {
	t.Helper()
	nps := r.find("NetworkPolicy")
	if np := nps["default-deny-ingress"]; np == nil || len(get(np, "spec", "podSelector").(map[string]any)) != 0 {
		t.Errorf("no default-deny-ingress NetworkPolicy selecting every pod")
	}
	protected := map[string]string{"predictd-ingress": "8001"}
	if overlay == "dev" {
		protected["postgres-ingress"] = "5432"
	}
	for name, port := range protected {
		np := nps[name]
		if np == nil {
			t.Errorf("no NetworkPolicy %s", name)
			continue
		}
		for _, rule := range list(get(np, "spec", "ingress")) {
			for _, p := range list(get(rule, "ports")) {
				if fmt.Sprint(get(p, "port")) != port {
					t.Errorf("NetworkPolicy %s opens port %v, want only %s", name, get(p, "port"), port)
				}
			}
			for _, from := range list(get(rule, "from")) {
				app := str(get(from, "podSelector", "matchLabels", "app.kubernetes.io/name"))
				if app != "apid" && (app != "prometheus" || get(from, "namespaceSelector") == nil) {
					t.Errorf("NetworkPolicy %s lets in %v: want only apid and Prometheus", name, from)
				}
			}
		}
	}
	metricsOpen := false
	for _, rule := range list(get(nps["apid-ingress"], "spec", "ingress")) {
		for _, p := range list(get(rule, "ports")) {
			if fmt.Sprint(get(p, "port")) == "8002" {
				metricsOpen = str(get(rule, "from", 0, "podSelector", "matchLabels", "app.kubernetes.io/name")) == "prometheus"
			}
		}
	}
	if !metricsOpen {
		t.Error("NetworkPolicy apid-ingress: port 8002 is not open to Prometheus only")
	}
}

// checkGenerated: Secrets hold exactly the files' contents and, like the
// ConfigMaps, carry kustomize's content hash (so a change rolls the pods).
func checkGenerated(t *testing.T, r *rendered) {
	t.Helper()
	seen := map[string]bool{}
	for name, s := range r.find("Secret") {
		for key, v := range get(s, "data").(map[string]any) {
			b, err := base64.StdEncoding.DecodeString(str(v))
			if err != nil || string(b) != r.Secrets[key] {
				t.Errorf("Secret %s key %s does not hold the secret file's content", name, key)
			}
			seen[key] = true
		}
	}
	for key := range r.Secrets {
		if !seen[key] {
			t.Errorf("secret file %s reaches no Secret", key)
		}
	}
	for _, kind := range []string{"Secret", "ConfigMap"} {
		for name := range r.find(kind) {
			if i := strings.LastIndex(name, "-"); i < 0 || len(name)-i-1 != 10 {
				t.Errorf("%s %s: not from a generator (no content hash suffix)", kind, name)
			}
		}
	}
	// Every reference to a Secret or ConfigMap names one the overlay makes
	// (kustomize rewrote it to the hashed name).
	for _, d := range r.Docs {
		walkRefs(d, "", func(kind, name string) {
			if r.find(kind)[name] == nil {
				t.Errorf("%s %s refers to %s %q, which the overlay does not make", d["kind"], get(d, "metadata", "name"), kind, name)
			}
		})
	}
	if len(r.find("PrometheusRule")) != 1 {
		t.Error("want one PrometheusRule")
	}
}

// refKinds maps the keys under which a pod spec refers to a Secret or a
// ConfigMap by name to the kind they refer to.
var refKinds = map[string]string{
	"secretKeyRef": "Secret", "secretRef": "Secret", "secret": "Secret",
	"configMapKeyRef": "ConfigMap", "configMapRef": "ConfigMap", "configMap": "ConfigMap",
}

// walkRefs calls fn for every Secret and ConfigMap reference under v.
func walkRefs(v any, key string, fn func(kind, name string)) {
	switch x := v.(type) {
	case map[string]any:
		if kind, ok := refKinds[key]; ok {
			if name := str(x["name"]); name != "" {
				fn(kind, name)
			}
		}
		for k, c := range x {
			walkRefs(c, k, fn)
		}
	case []any:
		for _, c := range x {
			walkRefs(c, key, fn)
		}
	}
}
