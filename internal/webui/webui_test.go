package webui

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/nba"
)

func newHandler(t *testing.T) http.Handler {
	t.Helper()
	h, err := New("/ui")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewRefusesBadPrefix(t *testing.T) {
	for _, p := range []string{"", "ui", "/ui/", "/"} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%q) succeeded; want an error", p)
		}
	}
}

func TestServe(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		contentType        string
		location           string
		bodyHas            string
	}{
		{"bare prefix redirects", "GET", "/ui", nil, 301, "", "/ui/", ""},
		{"redirect keeps the query", "GET", "/ui?x=1", nil, 301, "", "/ui/?x=1", ""},
		{"page", "GET", "/ui/", nil, 200, "text/html; charset=utf-8", "", `<template id="court-template">`},
		{"page by name", "GET", "/ui/index.html", nil, 200, "text/html; charset=utf-8", "", "NBA shot predictor"},
		{"script", "GET", "/ui/app.js", nil, 200, "text/javascript; charset=utf-8", "", "'use strict'"},
		{"style", "GET", "/ui/app.css", nil, 200, "text/css; charset=utf-8", "", ".court"},
		{"icon", "GET", "/ui/icon.svg", nil, 200, "image/svg+xml", "", "<svg"},
		{"head", "HEAD", "/ui/", nil, 200, "text/html; charset=utf-8", "", ""},
		{"unknown asset", "GET", "/ui/nope.js", nil, 404, "application/json", "", "Not Found"},
		{"outside the prefix", "GET", "/uix", nil, 404, "application/json", "", "Not Found"},
		{"no directory listing", "GET", "/ui/static/", nil, 404, "application/json", "", "Not Found"},
		{"post", "POST", "/ui/", nil, 405, "application/json", "", "Method Not Allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
			}
			if tt.contentType != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tt.contentType)
			}
			if tt.location != "" && res.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", res.Header.Get("Location"), tt.location)
			}
			if !strings.Contains(string(body), tt.bodyHas) {
				t.Errorf("body lacks %q: %.200s", tt.bodyHas, body)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD answered a body of %d bytes", len(body))
			}
			if tt.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("405 with Allow %q", res.Header.Get("Allow"))
			}
			if tt.status == 200 {
				for k, want := range map[string]string{
					"Content-Security-Policy": contentSecurityPolicy, "X-Content-Type-Options": "nosniff",
					"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache",
				} {
					if got := res.Header.Get(k); got != want {
						t.Errorf("%s: %q, want %q", k, got, want)
					}
				}
				if res.Header.Get("ETag") == "" {
					t.Error("no ETag")
				}
			}
		})
	}
}

// TestRevalidation checks that a cached asset costs a 304 and that every
// asset has its own ETag.
func TestRevalidation(t *testing.T) {
	h := newHandler(t)
	etags := map[string]string{}
	for _, name := range []string{"", "app.js", "app.css", "icon.svg"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/"+name, nil))
		etag := rec.Result().Header.Get("ETag")
		if prev, dup := etags[etag]; dup {
			t.Errorf("%q and %q share the ETag %s", prev, name, etag)
		}
		etags[etag] = name
		req := httptest.NewRequest("GET", "/ui/"+name, nil)
		req.Header.Set("If-None-Match", etag)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("GET /ui/%s with its ETag = %d (%d bytes), want 304 and no body", name, rec.Code, rec.Body.Len())
		}
	}
}

func page(t *testing.T) string {
	t.Helper()
	rec := httptest.NewRecorder()
	newHandler(t).ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	return rec.Body.String()
}

func staticFile(t *testing.T, name string) string {
	t.Helper()
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	idAttr    = regexp.MustCompile(`\sid="([^"]+)"`)
	forAttr   = regexp.MustCompile(`<label[^>]*\sfor="([^"]+)"`)
	controls  = regexp.MustCompile(`<(input|select|textarea)\s[^>]*>`)
	scriptIDs = regexp.MustCompile(`(?:\$|getElementById)\('([a-z][a-z0-9-]*)'\)`)
)

// TestPageIntegrity checks the rendered page against its script and its
// Content-Security-Policy: ids are unique, every id the script looks up
// exists, every control has a label, and nothing inline would be blocked.
func TestPageIntegrity(t *testing.T) {
	html := page(t)
	if strings.Contains(html, "{{") || strings.Contains(html, "ZgotmplZ") {
		t.Fatal("the template left unrendered or unsafe values in the page")
	}
	ids := map[string]int{}
	for _, m := range idAttr.FindAllStringSubmatch(html, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q appears %d times", id, n)
		}
	}
	js := staticFile(t, "app.js")
	for _, m := range scriptIDs.FindAllStringSubmatch(js, -1) {
		if ids[m[1]] == 0 {
			t.Errorf("app.js looks up #%s, which the page lacks", m[1])
		}
	}
	// The tabs are looked up by name: tab-X and view-X.
	for _, v := range []string{"predict", "history", "verify"} {
		if ids["tab-"+v] == 0 || ids["view-"+v] == 0 {
			t.Errorf("no tab-%s / view-%s", v, v)
		}
	}
	labelled := map[string]bool{}
	for _, m := range forAttr.FindAllStringSubmatch(html, -1) {
		if ids[m[1]] == 0 {
			t.Errorf("a label is for #%s, which does not exist", m[1])
		}
		labelled[m[1]] = true
	}
	for _, c := range controls.FindAllString(html, -1) {
		m := idAttr.FindStringSubmatch(c)
		switch {
		case strings.Contains(c, `type="radio"`): // wrapped in its label
		case m == nil:
			t.Errorf("control without id, so without a label: %s", c)
		case !labelled[m[1]]:
			t.Errorf("control #%s has no label", m[1])
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script>`), regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`),
		regexp.MustCompile(`\sstyle="`), regexp.MustCompile(`\son[a-z]+="`),
		regexp.MustCompile(`(?:src|href)="(?:https?:)?//`),
	} {
		if loc := bad.FindStringIndex(html); loc != nil {
			t.Errorf("page has %q, which the CSP blocks or which loads from elsewhere", html[loc[0]:min(loc[1]+40, len(html))])
		}
	}
	css := staticFile(t, "app.css")
	for _, text := range []string{js, css} {
		if strings.Contains(text, "http://") && !strings.Contains(text, "http://www.w3.org/2000/svg") || strings.Contains(text, "https://") ||
			strings.Contains(text, "@import") || strings.Contains(text, "@font-face") {
			t.Error("an asset refers to another origin or font")
		}
	}
}

// pathPoints returns the coordinates of an SVG path's M, L and A end points.
func pathPoints(t *testing.T, d string) [][2]float64 {
	t.Helper()
	f := strings.Fields(d)
	var out [][2]float64
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("path %q: %v", d, err)
		}
		return v
	}
	for i := 0; i < len(f); {
		switch f[i] {
		case "M", "L":
			out = append(out, [2]float64{num(f[i+1]), num(f[i+2])})
			i += 3
		case "A":
			out = append(out, [2]float64{num(f[i+6]), num(f[i+7])})
			i += 8
		default:
			t.Fatalf("path %q: unexpected %q", d, f[i])
		}
	}
	return out
}

// TestCourtDrawing checks that the lines drawn are the lines the zones are
// classified by: points just inside and outside each drawn line fall in the
// zones court.Classify gives them.
func TestCourtDrawing(t *testing.T) {
	d := newDrawing()
	if d.ViewBox != "-250 -47.5 500 470" {
		t.Errorf("viewBox %q, want the half court from baseline -47.5 to half court 422.5", d.ViewBox)
	}
	three := pathPoints(t, d.ThreePoint)
	if len(three) != 4 {
		t.Fatalf("three-point path %q", d.ThreePoint)
	}
	for _, p := range three[1:3] { // where the corner lines meet the arc
		if r := math.Hypot(p[0], p[1]); math.Abs(r-court.ArcRadius) > 0.01 || math.Abs(math.Abs(p[0])-court.CornerX) > 0 {
			t.Errorf("corner line ends at %v (r %.3f); want |x| %d on the arc r %.1f", p, r, court.CornerX, court.ArcRadius)
		}
	}
	if three[0][1] != court.BaselineY || three[3][1] != court.BaselineY {
		t.Errorf("corner lines start at %v and %v, want the baseline", three[0], three[3])
	}
	ra := pathPoints(t, d.RestrictedArea)
	if ra[1] != [2]float64{-court.RestrictedRadius, 0} || ra[2] != [2]float64{court.RestrictedRadius, 0} {
		t.Errorf("restricted area %q does not span ±%d", d.RestrictedArea, court.RestrictedRadius)
	}
	// Points around the drawn lines, and the zone each side must be.
	tests := []struct {
		x, y int
		want string
	}{
		{0, 239, nba.ZoneAboveBreak3}, {0, 236, nba.ZoneMidRange}, // just outside / inside the arc
		{-168, 169, nba.ZoneAboveBreak3}, {-167, 167, nba.ZoneMidRange}, // the arc at 45°
		{-221, 0, nba.ZoneLeftCorner3}, {-219, 0, nba.ZoneMidRange}, // the left corner line
		{221, 50, nba.ZoneRightCorner3}, {219, 50, nba.ZoneMidRange}, // the right corner line
		{0, 39, nba.ZoneRestrictedArea}, {0, 41, nba.ZonePaint}, // the restricted-area arc
		{79, 100, nba.ZonePaint}, {81, 100, nba.ZoneMidRange}, // the paint's side, drawn at ±PaintX
		{0, 423, nba.ZoneBackcourt}, {0, 422, nba.ZoneAboveBreak3}, // half court, the drawing's edge
	}
	paintX, _ := strconv.ParseFloat(d.PaintX, 64)
	if paintX != -court.PaintHalfWidth {
		t.Errorf("paint drawn from x %v, want %d", paintX, -court.PaintHalfWidth)
	}
	for _, tt := range tests {
		if got := court.Basic(tt.x, tt.y); got != tt.want {
			t.Errorf("court.Basic(%d, %d) = %q, want %q: the drawing and the zones disagree", tt.x, tt.y, got, tt.want)
		}
	}
	if d.InputMinX != -court.SidelineX || d.InputMaxX != court.SidelineX {
		t.Errorf("x inputs %d..%d, want the sidelines", d.InputMinX, d.InputMaxX)
	}
}
