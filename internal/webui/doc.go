// Package webui is apid's web page (/ui): one HTML page, its stylesheet and
// its script, embedded in the binary (no CDN, no external font, no build
// step, no Node at run time). The page signs users up and in, places shots
// on a half court drawn to scale, shows the zones and the prediction apid
// returns, charts the user's recent predictions and lets users verify
// predictions while watching the online accuracy.
//
// The page draws the court from internal/court's constants, rendered into
// the HTML once when the handler is built, and asks apid for everything it
// derives (zones from /court/zones, teams and codes from /league): no
// geometry or league table is duplicated in JavaScript. The access token
// lives in sessionStorage, never in a cookie.
package webui
