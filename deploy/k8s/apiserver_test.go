package k8s

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOverlaysApplyToAPIServer applies every overlay to a real
// kube-apiserver (on a real etcd), after the prometheus-operator CRD, with
// strict field validation: first as a server-side dry run, then for real.
// The namespace enforces the "restricted" Pod Security profile and warns on
// workloads that break it, so a warning fails the test too. The subtest
// "refuses" shows that the same checks reject a bad manifest, so they
// cannot pass vacuously.
func TestOverlaysApplyToAPIServer(t *testing.T) {
	kubectl := needTool(t, "", "kubectl")
	etcd := needTool(t, "NBA_ETCD", "etcd")
	apiserver, version := kubeAPIServer(t)
	start := time.Now()
	cp := startControlPlane(t, etcd, apiserver, kubectl)
	t.Logf("control plane up in %v", time.Since(start).Round(time.Millisecond))

	var v struct {
		ServerVersion struct {
			GitVersion string `json:"gitVersion"`
		} `json:"serverVersion"`
	}
	if err := json.Unmarshal(cp.kubectl(t, nil, "version", "-o", "json"), &v); err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	if v.ServerVersion.GitVersion != version {
		t.Fatalf("API server reports %q, want %s (the version tools/kube-apiserver builds)", v.ServerVersion.GitVersion, version)
	}

	// prometheus-operator's CRD first: the overlays hold a PrometheusRule.
	crd := filepath.Join(here(t), "testdata", "prometheusrule-crd.yaml")
	cp.kubectl(t, nil, "apply", "--server-side", "--validate=strict", "-f", crd)
	cp.kubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s", "crd/prometheusrules.monitoring.coreos.com")

	rendered := map[string]*rendered{}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			start := time.Now()
			r := render(t, kubectl, overlay)
			rendered[overlay] = r
			// A dry run of namespaced objects needs their namespace to
			// exist (NamespaceLifecycle admission): create it for real.
			ns := r.find("Namespace")
			if len(ns) != 1 {
				t.Fatalf("want one Namespace in the overlay, got %d", len(ns))
			}
			for _, d := range ns {
				cp.apply(t, encodeDocs(t, []map[string]any{d}), false)
			}
			if warn := cp.apply(t, r.YAML, true); warn != "" {
				t.Errorf("dry run: the API server warns:\n%s", warn)
			}
			if warn := cp.apply(t, r.YAML, false); warn != "" {
				t.Errorf("apply: the API server warns:\n%s", warn)
			}
			// Every object is stored, under the name kustomize gave it.
			names := strings.Fields(string(cp.kubectl(t, r.YAML, "get", "-f", "-", "-o", "name")))
			if len(names) != len(r.Docs) {
				t.Errorf("%d objects stored, want %d: %v", len(names), len(r.Docs), names)
			}
			// Applying the same again changes nothing: no field fights
			// between the overlay and the server's defaults.
			cp.apply(t, r.YAML, false)
			t.Logf("overlay %s: %d objects applied (dry run, apply, re-apply) in %v", overlay, len(r.Docs), time.Since(start).Round(time.Millisecond))
		})
	}

	// The "no warning" check above can fail: a Deployment whose pods break
	// the restricted profile is stored, with a warning.
	t.Run("warns", func(t *testing.T) {
		r := rendered["dev"]
		if r == nil {
			t.Skip("overlay dev did not render")
		}
		d := r.find("Deployment")["predictd"]
		if d == nil {
			t.Fatal("no Deployment predictd")
		}
		d = decodeDocs(t, encodeDocs(t, []map[string]any{d}))[0] // a copy
		delete(get(d, "spec", "template", "spec").(map[string]any), "securityContext")
		warn := cp.apply(t, encodeDocs(t, []map[string]any{d}), true)
		if !strings.Contains(warn, `would violate PodSecurity "restricted`) {
			t.Errorf("a Deployment without its pod securityContext: warnings %q, want a PodSecurity warning", warn)
		}
	})

	t.Run("refuses", func(t *testing.T) {
		r := rendered["dev"]
		if r == nil {
			t.Skip("overlay dev did not render")
		}
		ns := str(get(r.find("Deployment")["apid"], "metadata", "namespace"))
		// A pod needs its service account to exist (ServiceAccount
		// admission); the controller manager, absent here, makes "default".
		cp.kubectl(t, nil, "-n", ns, "create", "serviceaccount", "default")
		tests := []struct {
			name   string
			mutate func(d map[string]any) map[string]any // nil: skip d
			want   string
		}{
			{"unknown field in a Deployment", func(d map[string]any) map[string]any {
				if d["kind"] != "Deployment" || get(d, "metadata", "name") != "apid" {
					return nil
				}
				d["spec"].(map[string]any)["replicass"] = 2
				return d
			}, `.spec.replicass: field not declared in schema`},
			{"unknown field in a container", func(d map[string]any) map[string]any {
				if d["kind"] != "CronJob" {
					return nil
				}
				c := get(d, "spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0).(map[string]any)
				c["imagePullPolicyy"] = "Always"
				return d
			}, `.spec.jobTemplate.spec.template.spec.initContainers[name="generate-data"].imagePullPolicyy: field not declared in schema`},
			{"unknown field in a PrometheusRule", func(d map[string]any) map[string]any {
				if d["kind"] != "PrometheusRule" {
					return nil
				}
				rule := get(d, "spec", "groups", 0, "rules", 0).(map[string]any)
				rule["severity"] = "critical" // belongs under labels
				return d
			}, `.spec.groups[name="nba-availability"].rules[0].severity: field not declared in schema`},
			{"HPA with max below min", func(d map[string]any) map[string]any {
				if d["kind"] != "Deployment" || get(d, "metadata", "name") != "predictd" {
					return nil
				}
				return map[string]any{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
					"metadata": map[string]any{"name": "bad", "namespace": ns},
					"spec": map[string]any{"minReplicas": 3, "maxReplicas": 2,
						"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "predictd"}}}
			}, "must be greater than or equal to `minReplicas`"},
			{"pod breaking the restricted profile", func(d map[string]any) map[string]any {
				if d["kind"] != "Deployment" || get(d, "metadata", "name") != "predictd" {
					return nil
				}
				pod := get(d, "spec", "template", "spec").(map[string]any)
				delete(pod, "securityContext")
				return map[string]any{"apiVersion": "v1", "kind": "Pod",
					"metadata": map[string]any{"name": "root-pod", "namespace": ns}, "spec": pod}
			}, `violates PodSecurity "restricted`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var bad []map[string]any
				for _, d := range decodeDocs(t, r.YAML) { // a fresh copy per case
					if m := tt.mutate(d); m != nil {
						bad = append(bad, m)
					}
				}
				if len(bad) != 1 {
					t.Fatalf("mutation matched %d objects, want 1", len(bad))
				}
				for _, dry := range []bool{true, false} {
					args := applyArgs(dry)
					_, stderr, err := runErr(encodeDocs(t, bad), cp.kubectlPath, append(cp.flags(), args...)...)
					if err == nil {
						t.Fatalf("kubectl %s accepted the bad manifest", strings.Join(args, " "))
					}
					if !strings.Contains(string(stderr), tt.want) {
						t.Errorf("kubectl %s: %v, stderr does not say %q:\n%s", strings.Join(args, " "), err, tt.want, stderr)
					}
				}
			})
		}
	})
}

// kubeAPIServer returns the kube-apiserver binary and the version it must
// report: NBA_KUBE_APISERVER, or the one tools/kube-apiserver/build.sh
// caches under $NBA_CI_CACHE for the version its go.mod requires.
func kubeAPIServer(tb testing.TB) (path, version string) {
	tb.Helper()
	gomod := filepath.Join(here(tb), "..", "..", "tools", "kube-apiserver", "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v\d+\.\d+\.\d+)\b`).FindSubmatch(b)
	if m == nil {
		tb.Fatalf("%s: no k8s.io/kubernetes requirement", gomod)
	}
	version = string(m[1])
	if p := os.Getenv("NBA_KUBE_APISERVER"); p != "" {
		return needTool(tb, "NBA_KUBE_APISERVER", "kube-apiserver"), version
	}
	cache := os.Getenv("NBA_CI_CACHE")
	if cache == "" {
		cache = "/var/cache/nba-mlops-ci"
	}
	path = filepath.Join(cache, "kube-apiserver", version, "kube-apiserver")
	if _, err := os.Stat(path); err != nil {
		missing(tb, fmt.Sprintf("kube-apiserver %s not built (%v): run tools/kube-apiserver/build.sh, or set NBA_KUBE_APISERVER", version, err))
	}
	return path, version
}

// controlPlane is an etcd and a kube-apiserver on loopback ports, with a
// kubeconfig for kubectl.
type controlPlane struct {
	kubectlPath string
	kubeconfig  string
}

func (cp *controlPlane) flags() []string {
	return []string{"--kubeconfig", cp.kubeconfig, "--request-timeout=60s"}
}

// kubectl runs kubectl against the control plane and returns its stdout.
func (cp *controlPlane) kubectl(tb testing.TB, stdin []byte, args ...string) []byte {
	tb.Helper()
	return run(tb, stdin, cp.kubectlPath, append(cp.flags(), args...)...)
}

func applyArgs(dryRun bool) []string {
	args := []string{"apply", "--server-side", "--field-manager=nba-mlops-test", "--validate=strict", "-f", "-"}
	if dryRun {
		args = append(args, "--dry-run=server")
	}
	return args
}

// apply applies a YAML stream server-side with strict validation and
// returns the warnings the API server sent (kubectl prints them as
// "Warning: ..." on stderr).
func (cp *controlPlane) apply(tb testing.TB, manifest []byte, dryRun bool) string {
	tb.Helper()
	args := applyArgs(dryRun)
	_, stderr, err := runErr(manifest, cp.kubectlPath, append(cp.flags(), args...)...)
	if err != nil {
		tb.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var warns []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(l, "Warning:") {
			warns = append(warns, l)
		}
	}
	return strings.Join(warns, "\n")
}

// startControlPlane starts etcd and kube-apiserver, waits until the API
// server is ready, and stops both (by PID) when the test ends.
func startControlPlane(tb testing.TB, etcd, apiserver, kubectl string) *controlPlane {
	tb.Helper()
	dir := tb.TempDir()
	logs := map[string]string{"etcd": filepath.Join(dir, "etcd.log"), "kube-apiserver": filepath.Join(dir, "kube-apiserver.log")}
	// Registered first, so it runs last: after both processes stopped.
	tb.Cleanup(func() {
		if !tb.Failed() {
			return
		}
		for name, path := range logs {
			b, _ := os.ReadFile(path)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			tb.Logf("--- end of %s log ---\n%s", name, b)
		}
	})

	clientPort, peerPort, apiPort := freePort(tb), freePort(tb), freePort(tb)
	etcdURL := "http://127.0.0.1:" + clientPort
	peerURL := "http://127.0.0.1:" + peerPort
	etcdProc := startProcess(tb, logs["etcd"], etcd,
		"--name=test", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL, "--logger=zap", "--log-level=warn")
	waitHTTP(tb, etcdProc, &http.Client{Timeout: 2 * time.Second}, etcdURL+"/health", "", 60*time.Second)

	// The service-account key pair the API server signs and checks tokens
	// with, and a static token for kubectl (group system:masters).
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	writeFile(tb, filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		tb.Fatal(err)
	}
	token := hex.EncodeToString(tok)
	writeFile(tb, filepath.Join(dir, "tokens.csv"), []byte(token+`,nba-test-admin,nba-test-admin,"system:masters"`+"\n"))

	apiProc := startProcess(tb, logs["kube-apiserver"], apiserver,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+apiPort,
		// No kubernetes Service endpoint to keep: it may not be loopback.
		"--endpoint-reconciler-type=none",
		// A self-signed serving certificate is generated into cert-dir.
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16")
	server := "https://127.0.0.1:" + apiPort
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		// The test's own throwaway certificate, on loopback.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	waitHTTP(tb, apiProc, hc, server+"/readyz", token, 180*time.Second)

	kubeconfig := filepath.Join(dir, "kubeconfig")
	writeFile(tb, kubeconfig, fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, server, token))
	return &controlPlane{kubectlPath: kubectl, kubeconfig: kubeconfig}
}

// process is a started daemon; done closes when it exits.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startProcess starts a daemon with its output in logPath and stops it in
// cleanup: SIGTERM to its PID, then SIGKILL after 10 s.
func startProcess(tb testing.TB, logPath, bin string, args ...string) *process {
	tb.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("start %s: %v", bin, err)
	}
	p := &process{name: filepath.Base(bin), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	tb.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitHTTP polls url until it answers 200, the process exits, or the
// deadline passes.
func waitHTTP(tb testing.TB, p *process, hc *http.Client, url, token string, within time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			tb.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(body.String()))
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			tb.Fatalf("%s exited before %s answered: %v", p.name, url, p.err)
		case <-ctx.Done():
			tb.Fatalf("%s: %s not ready within %v; last answer: %s", p.name, url, within, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}
