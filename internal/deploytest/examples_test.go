package deploytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestREADMEExamples: every body the README sends with `-d @examples/FILE`
// exists, and every file of examples/ is answered 200 by the endpoint it is
// for, on a real predictd and apid serving a model the pipeline trained.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and starts predictd and apid")
	}
	root := repoRoot(t)
	readme := string(readRepoFile(t, "README.md"))
	refs := regexp.MustCompile(`@examples/([A-Za-z0-9_.-]+)`).FindAllStringSubmatch(readme, -1)
	if len(refs) == 0 {
		t.Error("the README sends no body from examples/")
	}
	for _, r := range refs {
		if _, err := os.Stat(filepath.Join(root, "examples", r[1])); err != nil {
			t.Errorf("README sends @examples/%s: %v", r[1], err)
		}
	}
	body := func(name string) string { return string(readRepoFile(t, "examples/"+name)) }

	bin := builtBinaries(t)
	work := t.TempDir()
	dataDir, modelsDir := filepath.Join(work, "data"), filepath.Join(work, "models")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "LOG_TO_MLFLOW=false"}
	runLivePipeline(t, bin, env, dataDir, modelsDir)
	ports := freePorts(t, 2)
	pdAddr, apiAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	pd := startDaemon(t, work, "predictd", filepath.Join(bin, "predictd"), env, "--addr", pdAddr, "--models-dir", modelsDir)
	waitReady(t, pd, "http://"+pdAddr+"/readyz", 30*time.Second)
	apiEnv := append(slices.Clone(env), "JWT_SECRET="+randomHex(t, 32), "BCRYPT_COST=4", "PREDICT_URL=http://"+pdAddr)
	api := startDaemon(t, work, "apid", filepath.Join(bin, "apid"), apiEnv, "--addr", apiAddr, "--data-dir", dataDir)
	waitReady(t, api, "http://"+apiAddr+"/readyz", 30*time.Second)

	post := func(url, contentType, token, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	const jsonType = "application/json"
	for _, c := range []struct{ path, file string }{
		{"/predict", "predict.json"}, {"/predict/shot", "shot.json"}, {"/v2/models/nba-shot/infer", "infer-v2.json"},
	} {
		if code, b := post("http://"+pdAddr+c.path, jsonType, "", body(c.file)); code != http.StatusOK {
			t.Errorf("predictd %s with examples/%s: %d %s", c.path, c.file, code, b)
		}
	}

	api1 := "http://" + apiAddr
	if code, b := post(api1+"/signup", jsonType, "", body("signup.json")); code != http.StatusOK {
		t.Fatalf("apid /signup with examples/signup.json: %d %s", code, b)
	}
	var user struct{ Username, Password string }
	if err := json.Unmarshal([]byte(body("signup.json")), &user); err != nil {
		t.Fatal(err)
	}
	code, b := post(api1+"/token", "application/x-www-form-urlencoded", "",
		url.Values{"username": {user.Username}, "password": {user.Password}}.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code != http.StatusOK || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("apid /token: %d %s", code, b)
	}
	for _, c := range []struct{ path, file string }{
		{"/predict", "predict.json"}, {"/predict/shot", "shot.json"}, {"/verify_random_prediction", "verify.json"},
	} {
		if code, b := post(api1+c.path, jsonType, tok.AccessToken, body(c.file)); code != http.StatusOK {
			t.Errorf("apid %s with examples/%s: %d %s", c.path, c.file, code, b)
		}
	}
}
