package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nba-mlops/nba-mlops/internal/testenv"
)

// TestSwaggerUIAuthorizeAndTryItOut drives /docs in headless Chromium as a
// user would: Authorize with the OAuth2 password flow, then "Try it out" on
// POST /predict with the documented example, and expects a stored
// prediction.
func TestSwaggerUIAuthorizeAndTryItOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	var browser string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		testenv.Missing(t, "no Chromium found (apt-get install chromium)")
	}
	s := newTestServer(t, openSQLite)
	s.signupLogin("swagger", "swaggerpass")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	const op = "#operations-predict-predict"
	steps := []struct {
		name string
		act  chromedp.Action[chromedp.Void]
	}{
		{"Authorize button", chromedp.WaitVisible(chromedp.CSS(`button.authorize`))},
		{"open the dialog", chromedp.Click(chromedp.CSS(`button.authorize`))},
		{"username field", chromedp.WaitVisible(chromedp.CSS(`#oauth_username`))},
		{"type username", chromedp.SendKeys(chromedp.CSS(`#oauth_username`), "swagger")},
		{"type password", chromedp.SendKeys(chromedp.CSS(`#oauth_password`), "swaggerpass")},
		// A JavaScript click: a synthesized mouse click can land while the
		// dialog is still animating in, and is then lost.
		{"authorize", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.querySelector('.auth-container button.modal-btn.authorize').click()`)(ctx, tg)
			return err
		})},
		// Once authorized, the dialog offers Logout instead.
		{"logged in", chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"auth-container")]//button[text()="Logout"]`))},
		{"close the dialog", chromedp.Click(chromedp.CSS(`button.btn-done`))},
		{"open POST /predict", chromedp.Click(chromedp.CSS(op + ` .opblock-summary`))},
		{"Try it out", chromedp.Click(chromedp.CSS(op + ` .try-out__btn`))},
		{"Execute", chromedp.Click(chromedp.CSS(op + ` .execute`))},
		{"response", chromedp.WaitVisible(chromedp.CSS(op + ` .live-responses-table tbody .response-col_status`))},
	}
	// The first action starts the browser with ctx: a per-step deadline on
	// it would stop the browser with the step.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/docs/")); err != nil {
		t.Fatalf("open /docs: %v", err)
	}
	for _, st := range steps {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, st.act)
		cancel()
		if err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`#swagger-ui`)))
			t.Fatalf("step %q: %v\npage: %.3000s\napid log:\n%s", st.name, err, html, s.logs.String())
		}
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+` .live-responses-table tbody .response-col_status`)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+` .live-responses-table tbody .response-col_description`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "200") || !strings.Contains(body, "prediction_id") {
		t.Errorf("Try it out answered %q: %q", status, body)
	}
	if st, err := s.db.Stats(t.Context()); err != nil || st.Predictions != 1 {
		t.Errorf("stats %+v, %v: want the prediction stored", st, err)
	}
}
