package k8s

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// imageEnv is the ENV that deploy/Dockerfile's runtime stage gives every
// image, and imageWorkDir its WORKDIR: present in the container, but not the
// manifest's choice.
var (
	imageEnv     = map[string]string{"NBA_DATA_DIR": "/data", "NBA_MODELS_DIR": "/models"}
	imageWorkDir = "/data"
)

// libraryEnv lists, per binary, variables that a library it uses reads
// rather than its own configuration: pgx reads libpq's PGSSLMODE and
// PGSSLROOTCERT (jackc/pgx/v5/pgconn.ParseConfig) for apid.
var libraryEnv = map[string][]string{"apid": {"PGSSLMODE", "PGSSLROOTCERT"}}

// imageRE matches our images; the name after nba-mlops- is the binary.
var imageRE = regexp.MustCompile(`^nbamlops/nba-mlops-([a-z-]+)(:|@|$)`)

// TestOverlaysCheckConfig runs every container of our images in every
// overlay as the kubelet would start it, with --check-config: the
// manifest's arguments ($(VAR) expanded from the container's environment),
// its environment (ConfigMaps, Secrets and literal values resolved from the
// rendered overlay), its mounts and Secret files mirrored under a sandbox.
// Each binary must accept the lot, and read every variable the manifest
// sets (a misspelt or stale variable would be silently ignored otherwise).
func TestOverlaysCheckConfig(t *testing.T) {
	kubectl := needTool(t, "", "kubectl")
	goBin := needTool(t, "", "go")
	bin := t.TempDir()
	build := exec.Command(goBin, "build", "-o", bin+string(filepath.Separator), "./cmd/...")
	build.Dir = filepath.Join(here(t), "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/...: %v\n%s", err, out)
	}
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			r := render(t, kubectl, overlay)
			ran := map[string]bool{}
			for _, p := range podSpecs(r) {
				for _, c := range append(list(get(p.spec, "initContainers")), list(get(p.spec, "containers"))...) {
					m := imageRE.FindStringSubmatch(str(get(c, "image")))
					if m == nil {
						continue // not ours (postgres)
					}
					where := p.where + " container " + str(get(c, "name"))
					ran[m[1]] = true
					if err := checkContainer(r, filepath.Join(bin, m[1]), p.spec, c, t.TempDir()); err != nil {
						t.Errorf("%s: %v", where, err)
					}
				}
			}
			want := []string{"apid", "featurize", "generate-data", "infer", "ingest", "predictd", "process", "train"}
			if got := sortedKeys(ran); !slices.Equal(got, want) {
				t.Errorf("containers of binaries %v, want %v", got, want)
			}
		})
	}
}

// checkContainer runs bin as container c of pod spec would start it, plus
// --check-config, in sandbox.
func checkContainer(r *rendered, bin string, spec, c any, sandbox string) error {
	root := filepath.Join(sandbox, "fs")
	local := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	// Volumes: Secret sources are written as files; everything else is an
	// empty directory.
	volumes := map[string]any{}
	for _, v := range list(get(spec, "volumes")) {
		volumes[str(get(v, "name"))] = v
	}
	var mounts []string
	for _, vm := range list(get(c, "volumeMounts")) {
		path := str(get(vm, "mountPath"))
		mounts = append(mounts, path)
		if err := os.MkdirAll(local(path), 0o755); err != nil {
			return err
		}
		v := volumes[str(get(vm, "name"))]
		if v == nil {
			return fmt.Errorf("volumeMount %s: no volume %q", path, get(vm, "name"))
		}
		for _, src := range list(get(v, "projected", "sources")) {
			name := str(get(src, "secret", "name"))
			if name == "" {
				continue
			}
			data, err := secretData(r, name)
			if err != nil {
				return err
			}
			items := list(get(src, "secret", "items"))
			for key, val := range data {
				file := key
				if items != nil {
					file = ""
					for _, it := range items {
						if get(it, "key") == key {
							file = str(get(it, "path"))
						}
					}
				}
				if file == "" {
					continue
				}
				if err := os.WriteFile(filepath.Join(local(path), file), val, 0o600); err != nil {
					return err
				}
			}
		}
	}
	// Longest mount first, so /run/secrets/x wins over /run.
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	rewrite := func(s string) string {
		for _, m := range mounts {
			if s == m || strings.HasPrefix(s, m+"/") {
				return local(m) + s[len(m):]
			}
			if k, v, ok := strings.Cut(s, "="); ok && strings.HasPrefix(k, "-") && (v == m || strings.HasPrefix(v, m+"/")) {
				return k + "=" + local(m) + v[len(m):]
			}
		}
		return s
	}

	env := map[string]string{} // what the manifest sets
	for _, ef := range list(get(c, "envFrom")) {
		if name := str(get(ef, "configMapRef", "name")); name != "" {
			cm := r.find("ConfigMap")[name]
			if cm == nil {
				return fmt.Errorf("envFrom: no ConfigMap %s", name)
			}
			for k, v := range get(cm, "data").(map[string]any) {
				env[k] = str(v)
			}
		}
	}
	for _, e := range list(get(c, "env")) {
		name := str(get(e, "name"))
		switch {
		case get(e, "valueFrom", "configMapKeyRef") != nil:
			ref := get(e, "valueFrom", "configMapKeyRef")
			v, ok := get(r.find("ConfigMap")[str(get(ref, "name"))], "data", str(get(ref, "key"))).(string)
			if !ok {
				return fmt.Errorf("env %s: no ConfigMap key %v", name, ref)
			}
			env[name] = v
		case get(e, "valueFrom", "secretKeyRef") != nil:
			ref := get(e, "valueFrom", "secretKeyRef")
			data, err := secretData(r, str(get(ref, "name")))
			if err != nil {
				return err
			}
			v, ok := data[str(get(ref, "key"))]
			if !ok {
				return fmt.Errorf("env %s: no Secret key %v", name, ref)
			}
			env[name] = string(v)
		default:
			env[name] = str(get(e, "value"))
		}
	}

	// $(VAR) in args is expanded from the container's environment, as the
	// kubelet does; an unknown $(VAR) stays as it is.
	all := map[string]string{}
	for k, v := range imageEnv {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	var args []string
	for _, a := range list(get(c, "args")) {
		s := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(str(a), func(ref string) string {
			if v, ok := all[ref[2:len(ref)-1]]; ok {
				return v
			}
			return ref
		})
		if strings.Contains(s, "$(") {
			return fmt.Errorf("argument %q refers to a variable the container does not have", str(a))
		}
		args = append(args, rewrite(s))
	}
	if get(c, "command") != nil {
		return fmt.Errorf("command overrides the image's entrypoint (the binary)")
	}
	args = append(args, "--check-config")
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	for _, k := range sortedKeys(all) {
		cmd.Env = append(cmd.Env, k+"="+rewrite(all[k]))
	}
	cmd.Dir = local(imageWorkDir)
	if err := os.MkdirAll(cmd.Dir, 0o755); err != nil {
		return err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	var out struct {
		Env []string `json:"env"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Env == nil {
		return fmt.Errorf("%s --check-config: no JSON object with an env list (%v): %s", filepath.Base(bin), err, stdout.String())
	}
	var unread []string
	for _, k := range sortedKeys(env) {
		if !slices.Contains(out.Env, k) && !slices.Contains(libraryEnv[filepath.Base(bin)], k) {
			unread = append(unread, k)
		}
	}
	if len(unread) > 0 {
		return fmt.Errorf("sets %v, which %s does not read (it reads %v)", unread, filepath.Base(bin), out.Env)
	}
	return nil
}

// secretData returns a rendered Secret's data, decoded.
func secretData(r *rendered, name string) (map[string][]byte, error) {
	s := r.find("Secret")[name]
	if s == nil {
		return nil, fmt.Errorf("no Secret %s", name)
	}
	data := map[string][]byte{}
	for k, v := range get(s, "data").(map[string]any) {
		b, err := base64.StdEncoding.DecodeString(str(v))
		if err != nil {
			return nil, fmt.Errorf("Secret %s key %s: %w", name, k, err)
		}
		data[k] = b
	}
	return data, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
