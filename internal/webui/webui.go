package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/auth"
	"github.com/nba-mlops/nba-mlops/internal/court"
	"github.com/nba-mlops/nba-mlops/internal/httpjson"
)

//go:embed static
var static embed.FS

// Court markings that are drawn but play no part in classifying a shot, in
// tenths of feet like the data. The lines the zones depend on (arc, corners,
// paint width, restricted area, half court) come from package court.
const (
	// freeThrowY is the free-throw line, 19 ft from the baseline. The data's
	// paint ends a little short of it, at court.PaintTopY.
	freeThrowY         = court.BaselineY + 190
	freeThrowRadius    = 60
	laneInnerHalfWidth = 60 // the 12-ft inner lane lines
	rimRadius          = 7.5
	backboardY         = court.BaselineY + 40 // 4 ft in from the baseline
	backboardHalfWidth = 30
	centerOuterRadius  = 60
	centerInnerRadius  = 20
	// minInputY is the lowest y the page offers: the baseline's inner edge.
	minInputY = -47
	// maxInputY is the highest y the API accepts (the backcourt runs to the
	// far baseline); the drawing stops at half court.
	maxInputY = 890
)

// drawing holds the court's markings as SVG attribute values in the data's
// coordinates: x to the right is the data's "Right" side, y grows from the
// rim toward half court, so the baseline is at the top of the drawing.
type drawing struct {
	ViewBox                   string
	MinX, MinY, Width, Height string
	PaintX, PaintWidth        string
	LaneX, LaneWidth          string
	PaintHeight               string
	FreeThrowSolid            string
	FreeThrowDashed           string
	RestrictedArea            string
	ThreePoint                string
	Backboard                 string
	RimRadius                 string
	CenterCircles             string
	LabelY, LeftX, RightX     string
	// Bounds of the x/y inputs, integers in tenths of feet.
	InputMinX, InputMaxX, InputMinY, InputMaxY int
}

// pageData is what index.html is rendered with.
type pageData struct {
	Court                    drawing
	MinUsername, MaxUsername int
	MinPassword, MaxPassword int
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// newDrawing computes the markings from package court's constants.
func newDrawing() drawing {
	side := float64(court.SidelineX)
	base := court.BaselineY
	half := court.HalfCourtY
	// The straight corner line meets the arc where |x| = CornerX.
	join := math.Round(math.Sqrt(court.ArcRadius*court.ArcRadius-court.CornerX*court.CornerX)*100) / 100
	arc, cx := num(court.ArcRadius), num(court.CornerX)
	ra := num(court.RestrictedRadius)
	ft, ftr := num(freeThrowY), num(freeThrowRadius)
	circle := func(cy float64, r float64, sweep int) string {
		return fmt.Sprintf("M %s %s A %s %s 0 0 %d %s %s", num(-r), num(cy), num(r), num(r), sweep, num(r), num(cy))
	}
	return drawing{
		ViewBox: fmt.Sprintf("%s %s %s %s", num(-side), num(base), num(2*side), num(half-base)),
		MinX:    num(-side), MinY: num(base), Width: num(2 * side), Height: num(half - base),
		PaintX: num(-court.PaintHalfWidth), PaintWidth: num(2 * court.PaintHalfWidth),
		LaneX: num(-laneInnerHalfWidth), LaneWidth: num(2 * laneInnerHalfWidth),
		PaintHeight: num(freeThrowY - base),
		// SVG's y axis points down the drawing, so sweep 0 bends an arc
		// from left to right away from the baseline.
		FreeThrowSolid:  circle(freeThrowY, freeThrowRadius, 0),
		FreeThrowDashed: fmt.Sprintf("M -%s %s A %s %s 0 0 1 %s %s", ftr, ft, ftr, ftr, ftr, ft),
		RestrictedArea: fmt.Sprintf("M -%s %s L -%s 0 A %s %s 0 0 0 %s 0 L %s %s",
			ra, num(backboardY), ra, ra, ra, ra, ra, num(backboardY)),
		ThreePoint: fmt.Sprintf("M -%s %s L -%s %s A %s %s 0 0 0 %s %s L %s %s",
			cx, num(base), cx, num(join), arc, arc, cx, num(join), cx, num(base)),
		Backboard:     fmt.Sprintf("M %s %s L %s %s", num(-backboardHalfWidth), num(backboardY), num(backboardHalfWidth), num(backboardY)),
		RimRadius:     num(rimRadius),
		CenterCircles: circle(half, centerOuterRadius, 1) + " " + circle(half, centerInnerRadius, 1),
		LabelY:        num(half - 14),
		LeftX:         num(-side + 12),
		RightX:        num(side - 12),
		InputMinX:     -court.SidelineX, InputMaxX: court.SidelineX,
		InputMinY: minInputY, InputMaxY: maxInputY,
	}
}

// asset is one file of the page, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// contentSecurityPolicy allows the page's own script, style and API calls
// and nothing else: no inline script, no other origin, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type handler struct {
	prefix string
	assets map[string]asset // by name under prefix + "/"; "" is the page
}

// New returns the web UI served under prefix (such as "/ui", mounted there
// without stripping it): prefix redirects to prefix + "/", which is the page,
// and prefix + "/NAME" are its assets. The page is rendered once, here.
func New(prefix string) (http.Handler, error) {
	if !strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("webui: prefix %q must start with / and not end with /", prefix)
	}
	h := &handler{prefix: prefix, assets: map[string]asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if name == "index.html" {
			if body, err = renderPage(body); err != nil {
				return err
			}
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("webui: no content type for %s", name)
		}
		sum := sha256.Sum256(body)
		h.assets[name] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, ok := h.assets["index.html"]
	if !ok {
		return nil, fmt.Errorf("webui: no index.html embedded")
	}
	h.assets[""] = page
	return h, nil
}

func renderPage(src []byte) ([]byte, error) {
	t, err := template.New("index.html").Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("webui: parse index.html: %w", err)
	}
	var buf bytes.Buffer
	err = t.Execute(&buf, pageData{
		Court:       newDrawing(),
		MinUsername: auth.MinUsername, MaxUsername: auth.MaxUsername,
		MinPassword: auth.MinPassword, MaxPassword: auth.MaxPassword,
	})
	if err != nil {
		return nil, fmt.Errorf("webui: render index.html: %w", err)
	}
	return buf.Bytes(), nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	if r.URL.Path == h.prefix {
		target := h.prefix + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, h.prefix+"/")
	a, found := h.assets[name]
	if !ok || !found {
		httpjson.Encode(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		httpjson.Encode(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	// Revalidate every time: the ETag makes that a 304, and a new binary's
	// page and script are never mixed with an old one's from the cache.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
