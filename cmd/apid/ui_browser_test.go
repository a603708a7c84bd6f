package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
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

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/model/modeltest"
	"github.com/nba-mlops/nba-mlops/internal/store/sqlite"
	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

var (
	updateScreenshot = flag.Bool("update-screenshot", false, "TestWebUI: write the README's screenshot, docs/screenshot-ui.png")
	screenshotDir    = flag.String("screenshot-dir", "", "TestWebUI: also write every screenshot it takes (desktop and phone views) to this directory")
)

// chromium returns the browser to drive: $CHROMIUM_PATH when set (.ci/run
// sets it), else /usr/bin/chromium or a Chromium on PATH. Without one the
// test skips, unless NBA_REQUIRE_INTEGRATION=1, where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		candidates = []string{p} // a wrong setting must show, not fall back
	} else {
		candidates = []string{"/usr/bin/chromium"}
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				candidates = append(candidates, p)
			}
		}
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	testenv.Missing(t, "no Chromium at %v (apt-get install chromium, or set CHROMIUM_PATH)", candidates)
	return ""
}

// predictdProcess is the real prediction service, built from cmd/predictd
// and run as a child process on a model trained by modeltest.
type predictdProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	logs *testenv.SyncBuffer
	done chan error
}

func startPredictd(t *testing.T) *predictdProcess {
	t.Helper()
	bin := testenv.Binaries(t, "./cmd/predictd")
	models := t.TempDir()
	modeltest.Promote(t, models, 7, 2000)
	addr := freeAddr(t)
	p := &predictdProcess{t: t, URL: "http://" + addr, logs: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(bin, "predictd"), "--addr", addr, "--models-dir", models, "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(p.Stop)
	eventually(t, 30*time.Second, "predictd ready", func() bool {
		code, err := httpGet(p.URL + "/readyz")
		return err == nil && code == http.StatusOK
	})
	return p
}

// Stop ends the process (SIGTERM, then SIGKILL after 10 s); it may be
// called more than once.
func (p *predictdProcess) Stop() {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// page drives one browser tab.
type page struct {
	t    *testing.T
	ctx  context.Context
	logs *testenv.SyncBuffer // apid's log, shown when a step fails
}

func newPage(t *testing.T, browser string, logs *testenv.SyncBuffer) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser and binds it to ctx: no deadline
	// on it, or the browser would stop with the first step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}
	return &page{t: t, ctx: ctx, logs: logs}
}

// do runs actions as one step, with its own deadline.
func (p *page) do(what string, acts ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, acts...); err != nil {
		p.fatal(what, err)
	}
}

func (p *page) fatal(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').innerText : ''`))
	p.t.Fatalf("%s: %v\npage text:\n%.3000s\napid log (tail):\n%s", what, err, html, tail(p.logs.String(), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](p *page, what, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fatal(what, err)
	}
	return v
}

// wait polls a JavaScript expression until it is truthy.
func (p *page) wait(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 25*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+expr+`)`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		p.fatal("wait for "+what, err)
	}
}

func (p *page) text(id string) string {
	p.t.Helper()
	return eval[string](p, "text of #"+id, `document.getElementById(`+strconv.Quote(id)+`).textContent`)
}

// visible is a JavaScript test that an element is shown: not hidden by an
// ancestor and laid out.
func visible(id string) string {
	return `(() => { const e = document.getElementById(` + strconv.Quote(id) + `); return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0; })()`
}

// setValue sets a field as typing would (input and change events);
// chromedp.SetValue refuses the empty string.
func setValue(id, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById(` + strconv.Quote(id) + `); e.value = ` + strconv.Quote(v) +
		`; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

func contains(id, text string) string {
	return `(document.getElementById(` + strconv.Quote(id) + `) || {}).textContent.includes(` + strconv.Quote(text) + `)`
}

// clickCourt clicks the court of the predict view where the data's (x, y)
// is drawn: the page must map the click back to that spot.
func (p *page) clickCourt(x, y int) {
	p.t.Helper()
	xy := eval[[]float64](p, "court position", fmt.Sprintf(`(() => {
		const svg = document.querySelector('#predict-court svg');
		svg.scrollIntoView({block: 'center'});
		const q = new DOMPoint(%d, %d).matrixTransform(svg.getScreenCTM());
		return [q.x, q.y]; })()`, x, y))
	p.do(fmt.Sprintf("click the court at (%d, %d)", x, y), chromedp.MouseClickXY(xy[0], xy[1]))
}

func (p *page) screenshot(name string, full bool) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	var (
		png []byte
		err error
	)
	if full {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	} else {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		p.fatal("screenshot "+name, err)
	}
	dir := *screenshotDir
	if dir == "" {
		dir = p.t.TempDir()
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name), png); err != nil {
		p.t.Fatal(err)
	}
	return png
}

// noOverflow checks that the page is no wider than the viewport: nothing
// to scroll sideways on a phone.
func (p *page) noOverflow(view string) {
	p.t.Helper()
	got := eval[[]float64](p, "page width", `[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]`)
	if got[0] > got[2] || got[1] > got[2] {
		wide := eval[string](p, "wide elements", `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.table-wrap') && !e.closest('[hidden]')).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className).join(', ')`)
		p.t.Errorf("%s at %.0f px: page is %.0f px wide (body %.0f): sideways scrolling; too wide: %s", view, got[2], got[0], got[1], wide)
	}
}

// TestWebUI drives /ui in headless Chromium against apid (run, SQLite) and
// a real predictd serving a model trained by modeltest: sign up, log out,
// log in, place a shot by mouse and by keyboard, predict, check the stored
// predictions, refuse a bad value, chart, verify, an expired session, the
// phone layout, and predictd going down.
func TestWebUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser and predictd")
	}
	browser := chromium(t)
	pd := startPredictd(t)
	dataDir := t.TempDir()
	base, logs := startRun(t, nil, map[string]string{
		"JWT_SECRET": testSecret, "NBA_DATA_DIR": dataDir, "PREDICT_URL": pd.URL, "BCRYPT_COST": "4",
	})
	p := newPage(t, browser, logs)
	const user, password = "courtside", "courtside-pw1"

	p.do("open /ui", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/ui"))
	p.wait("the login form", visible("login-form"))

	// Sign up: the page logs straight in.
	p.do("sign up",
		chromedp.SendKeys(chromedp.ID("signup-username"), user),
		chromedp.SendKeys(chromedp.ID("signup-password"), password),
		chromedp.Click(chromedp.ID("signup-submit")))
	p.wait("signed in after sign up", visible("app-view"))
	if got := p.text("session-user"); got != user {
		t.Errorf("signed in as %q, want %q", got, user)
	}
	// Log out, fail a login in words, log in.
	p.do("log out", chromedp.Click(chromedp.ID("logout")))
	p.wait("the login form after logout", visible("login-form")+` && `+contains("auth-message", "logged out"))
	p.do("log in with a wrong password",
		setValue("login-username", user),
		chromedp.SendKeys(chromedp.ID("login-password"), "not-the-password"),
		chromedp.Click(chromedp.ID("login-submit")))
	p.wait("the refusal in words", contains("auth-message", "Incorrect username or password"))
	p.do("log in",
		setValue("login-password", ""),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
	p.wait("signed in", visible("app-view")+` && `+visible("predict-court"))
	if tok := eval[string](p, "stored token", `sessionStorage.getItem('nba.token') || ''`); tok == "" {
		t.Error("no token in sessionStorage after login")
	}
	if c := eval[string](p, "cookies", `document.cookie`); c != "" {
		t.Errorf("the page set cookies %q; the token must not live in a cookie", c)
	}
	// The form's choices come from /league for the date (2019-20: 30 teams).
	p.wait("the teams of the season", `document.getElementById('team').options.length === 30 && document.getElementById('opponent').value === 'LAC'`)

	// A mouse click at a known spot: a left-side mid-range jumper.
	p.clickCourt(-120, 150)
	p.wait("the derived zone", contains("zone-basic", "Mid-Range")+` && `+contains("zone-area", "Left Side Center(LC)"))
	x, _ := strconv.Atoi(eval[string](p, "x", `document.getElementById('shot-x').value`))
	y, _ := strconv.Atoi(eval[string](p, "y", `document.getElementById('shot-y').value`))
	if abs(x+120) > 3 || abs(y-150) > 3 {
		t.Errorf("clicked at (-120, 150), the page placed the shot at (%d, %d)", x, y)
	}
	if d := p.text("zone-distance"); d != "19 ft" {
		t.Errorf("distance shown %q, want 19 ft", d)
	}
	p.do("predict", chromedp.Click(chromedp.ID("predict-submit")))
	p.wait("the probability", visible("result"))
	prob := p.text("result-prob")
	if !regexp.MustCompile(`^\d{1,3}\.\d %$`).MatchString(prob) {
		t.Errorf("probability shown as %q, want a percentage", prob)
	}
	first, _ := strconv.ParseInt(eval[string](p, "prediction id", `document.getElementById('result').dataset.predictionId`), 10, 64)
	marker := eval[map[string]string](p, "marker", `(() => { const m = document.querySelector('#predict-court .marker');
		return {fill: m.getAttribute('fill'), probability: m.dataset.probability, x: m.dataset.x}; })()`)
	shown, _ := strconv.ParseFloat(marker["probability"], 64)
	if marker["fill"] == "" || marker["fill"] == "#ffffff" || math.Abs(100*shown-mustPercent(t, prob)) > 0.051 {
		t.Errorf("marker %v does not show the probability %s by its colour", marker, prob)
	}
	if v := p.text("result-version"); v == "" {
		t.Error("no model version shown")
	}

	// The prediction is stored, as the user's, with the shot and its zones.
	tok := login(t, base, user, password)
	r := do(t, base, "GET", "/predictions", tok, "")
	var list predictionList
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list.Predictions) != 1 {
		t.Fatalf("GET /predictions = %d %s (%v): want the one prediction", r.status, r.body, err)
	}
	got := list.Predictions[0]
	var shot struct {
		X     int    `json:"x_location"`
		Y     int    `json:"y_location"`
		Basic string `json:"shot_zone_basic"`
	}
	if err := json.Unmarshal(got.Shot, &shot); err != nil {
		t.Fatal(err)
	}
	if got.PredictionID != first || got.Kind != "shot" || shot.X != x || shot.Y != y || shot.Basic != "Mid-Range" ||
		math.Abs(got.Probability-shown) > 1e-12 {
		t.Errorf("stored %+v shot %+v; want id %d at (%d, %d), Mid-Range, probability %v", got, shot, first, x, y, shown)
	}

	// The keyboard alone: focus the court, move 1 ft right, Enter predicts.
	p.do("keyboard on the court", chromedp.Focus(chromedp.CSS("#predict-court svg")), chromedp.KeyEvent(kb.ArrowRight))
	p.wait("moved by the arrow key", fmt.Sprintf(`document.getElementById('shot-x').value === '%d'`, x+10))
	p.do("Enter predicts", chromedp.KeyEvent(kb.Enter))
	p.wait("the second prediction", visible("result")+fmt.Sprintf(` && document.getElementById('result').dataset.predictionId !== '%d'`, first))
	second, _ := strconv.ParseInt(eval[string](p, "second id", `document.getElementById('result').dataset.predictionId`), 10, 64)
	p.do("move the mouse off the buttons", chromedp.MouseEvent(chromedp.MouseMoved, 5, 795))
	png := p.screenshot("desktop-predict.png", false)
	if *updateScreenshot {
		if err := atomicfile.WriteFile(filepath.Join("..", "..", "docs", "screenshot-ui.png"), png); err != nil {
			t.Fatal(err)
		}
	}

	// A value the API refuses comes back in words, naming the field.
	p.do("an impossible clock", setValue("minutes", "12"), chromedp.Click(chromedp.ID("predict-submit")))
	p.wait("the field named", visible("predict-message")+` && `+contains("predict-message", "Minutes remaining"))
	if inv := eval[string](p, "aria-invalid", `document.getElementById('minutes').getAttribute('aria-invalid') || ''`); inv != "true" {
		t.Errorf("minutes not marked invalid (aria-invalid=%q)", inv)
	}
	p.do("fix the clock", setValue("minutes", "10"))

	// The shot chart and the list.
	p.do("my predictions", chromedp.Click(chromedp.ID("tab-history")))
	p.wait("two rows and two dots", `document.querySelectorAll('#history-table tbody tr').length === 2 && document.querySelectorAll('#history-court .chart-dot').length === 2`)
	if o := eval[string](p, "outcome", `document.querySelector('#history-court .chart-dot').dataset.outcome`); o != "unverified" {
		t.Errorf("an unverified prediction is charted as %q", o)
	}
	p.screenshot("desktop-history.png", false)

	// Verify both predictions; the accuracy follows.
	p.do("verify view", chromedp.Click(chromedp.ID("tab-verify")))
	verdicts := map[int64]int{}
	for i, button := range []string{"verify-made", "verify-missed"} {
		p.wait("a prediction to verify", visible("verify-card"))
		id, _ := strconv.ParseInt(eval[string](p, "verify id", `document.getElementById('verify-card').dataset.predictionId`), 10, 64)
		if i == 0 {
			p.screenshot("desktop-verify.png", false)
		}
		p.do("verify", chromedp.Click(chromedp.ID(button)))
		verdicts[id] = 1 - i
		p.wait("verified", contains("verify-message", fmt.Sprintf("Prediction #%d verified", id))+
			` && `+contains("accuracy-summary", fmt.Sprintf("of the last %d verified", i+1)))
	}
	p.wait("nothing left to verify", visible("verify-empty"))
	if len(verdicts) != 2 || verdicts[first]+verdicts[second] != 1 {
		t.Errorf("verified %v; want predictions %d and %d, once each", verdicts, first, second)
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(dataDir, "apid.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range verdicts {
		sp, err := db.Prediction(t.Context(), id)
		if err != nil || sp.Verification == nil || *sp.Verification != want || sp.RawShot == nil {
			t.Errorf("stored prediction %d: verification %v, raw shot %s (%v); want %d", id, deref(sp.Verification), sp.RawShot, err, want)
		}
	}
	acc := do(t, base, "GET", "/accuracy", tok, "").json(t)
	if acc["verifications"] != 2.0 {
		t.Errorf("/accuracy = %v, want 2 verifications", acc)
	}
	p.do("my predictions again", chromedp.Click(chromedp.ID("tab-history")))
	p.wait("dots by outcome", `[...document.querySelectorAll('#history-court .chart-dot')].map(d => d.dataset.outcome).sort().join() === 'made,missed'`)

	// An invalid or expired token sends the user back to the login form.
	p.do("break the token", chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('nba.token', 'expired.token.value')`), chromedp.Reload())
	p.wait("the session restored from sessionStorage", visible("app-view"))
	p.do("use it", chromedp.Click(chromedp.ID("tab-history")))
	p.wait("back at the login form, with the reason", visible("login-form")+` && `+contains("auth-message", "session has expired"))
	p.do("log in again",
		setValue("login-password", ""),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
	p.wait("signed in again", visible("app-view"))

	// A 390-px phone: one column, nothing to scroll sideways, in every view.
	p.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload())
	p.wait("predict view on the phone", visible("predict-court")+` && document.getElementById('team').options.length === 30`)
	p.noOverflow("predict view")
	if w := eval[float64](p, "court width", `document.querySelector('#predict-court svg').getBoundingClientRect().width`); w > 390 || w < 300 {
		t.Errorf("court is %.0f px wide on a 390-px phone", w)
	}
	p.clickCourt(200, 300)
	p.wait("an above-the-break three", contains("zone-basic", "Above the Break 3"))
	p.do("predict on the phone", chromedp.Click(chromedp.ID("predict-submit")))
	p.wait("the result on the phone", visible("result"))
	p.screenshot("phone-predict.png", true)
	for _, tab := range []string{"history", "verify"} {
		p.do(tab, chromedp.Click(chromedp.ID("tab-"+tab)))
		if tab == "history" {
			p.wait("the list on the phone", `document.querySelectorAll('#history-table tbody tr').length === 3`)
		} else {
			p.wait("the card on the phone", visible("verify-card"))
		}
		p.noOverflow(tab + " view")
		p.screenshot("phone-"+tab+".png", true)
	}
	p.do("log out on the phone", chromedp.Click(chromedp.ID("logout")))
	p.wait("login on the phone", visible("login-form"))
	p.noOverflow("login view")
	p.screenshot("phone-login.png", true)

	// predictd goes away: the user is told, in words, and nothing is stored.
	p.do("log in for the outage",
		setValue("login-password", ""),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")))
	p.wait("signed in for the outage", visible("app-view"))
	p.do("predict view", chromedp.Click(chromedp.ID("tab-predict")))
	p.wait("the court", visible("predict-court"))
	pd.Stop()
	p.clickCourt(0, 60)
	p.wait("zones still work without predictd", contains("zone-basic", "In The Paint (Non-RA)"))
	p.do("predict with predictd down", chromedp.Click(chromedp.ID("predict-submit")))
	p.wait("the outage in words", visible("predict-message")+` && `+contains("predict-message", "prediction service (predictd) is unavailable"))
	p.screenshot("phone-outage.png", false)
	if n := len(do(t, base, "GET", "/predictions", tok, "").json(t)["predictions"].([]any)); n != 3 {
		t.Errorf("%d predictions stored after the outage, want 3: a failed prediction must not be stored", n)
	}
	if errs := eval[string](p, "page errors", `document.getElementById('global-message').textContent`); errs != "" {
		t.Errorf("the page reported an unexpected error: %s", errs)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// mustPercent parses "43.2 %".
func mustPercent(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, " %"), 64)
	if err != nil {
		t.Fatalf("not a percentage: %q", s)
	}
	return v
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
