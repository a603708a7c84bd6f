package mlflow

import (
	"fmt"
	"mime"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// artifactsPrefix is where a server started with --serve-artifacts (the
// default since MLflow 2.0) proxies its artifact store.
const artifactsPrefix = "api/2.0/mlflow-artifacts/artifacts"

// artifactURL returns where to PUT the file name at the root of a run whose
// artifact_uri is artifactURI. It resolves the URI as MLflow's Python client
// does (MlflowArtifactsRepository.resolve_uri):
//
//   - mlflow-artifacts:/0/<run_id>/artifacts, the default root's form →
//     <tracking URI>/api/2.0/mlflow-artifacts/artifacts/0/<run_id>/artifacts/<name>;
//   - mlflow-artifacts://host:port/... → the same path on that host;
//   - http(s)://.../api/2.0/mlflow-artifacts/artifacts/... (a root pointing
//     at an artifacts-only server) → <artifact_uri>/<name>.
//
// Any other scheme (s3:, file:, ...) is a store only the server or an SDK can
// write to: the server runs with --no-serve-artifacts or a custom root.
func (c *Client) artifactURL(artifactURI, name string) (*url.URL, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("mlflow artifact name %q is not a plain file name", name)
	}
	u, err := url.Parse(artifactURI)
	if err != nil {
		return nil, fmt.Errorf("mlflow run artifact_uri %q: %w", artifactURI, err)
	}
	var out url.URL
	switch strings.ToLower(u.Scheme) {
	case "mlflow-artifacts":
		out = *c.base
		if u.Host != "" {
			out.Host = u.Host
		}
		out.Path = path.Join("/", c.base.Path, artifactsPrefix, u.Path)
	case "http", "https":
		out = *u
		out.User, out.RawQuery, out.Fragment = nil, "", ""
		out.Path = path.Clean("/" + u.Path)
	default:
		return nil, fmt.Errorf("mlflow run artifact_uri %q is not served by the tracking server: start it with --serve-artifacts and an mlflow-artifacts:/ (default) or http(s) artifact root", artifactURI)
	}
	out.RawPath = ""
	out.Path = path.Join(out.Path, name)
	return &out, nil
}

// sameOrigin reports whether u is on the tracking server itself. Credentials
// go only there: an artifact root on another host is not trusted with them.
func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && strings.EqualFold(u.Host, c.base.Host)
}

// contentType is the MIME type of a file name, as MLflow's client sends it.
func contentType(name string) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
