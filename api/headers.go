package api

import (
	"net/http"
	"strings"
)

// hstsValue asks browsers to use https only, for a year. No
// includeSubDomains: other hosts under the same domain are not ours to
// commit.
const hstsValue = "max-age=31536000"

// SecurityHeaders are the browser hardening headers a Server sends on every
// response, errors, 404s and probes included: no MIME sniffing, no
// Referer leaving the service (link codes and tokens travel in URLs), no
// framing except of the pages meant to be embedded, and HSTS when the
// public URL is https. The zero value forbids all framing.
//
// A handler that sets its own Content-Security-Policy must keep the
// frame-ancestors directive this one sets.
type SecurityHeaders struct {
	// EmbedPaths are path prefixes of pages meant to be framed by other
	// sites, such as the scheduling widget; "/embed/" covers "/embed" and
	// everything under it.
	EmbedPaths []string
	// EmbedOrigins are the origins that may frame EmbedPaths
	// (VIDIVO_EMBED_ORIGINS), e.g. "https://coach.example". With none,
	// nothing may frame any page.
	EmbedOrigins []string
}

// set writes the headers for a response to path; hsts adds
// Strict-Transport-Security.
func (sh SecurityHeaders) set(h http.Header, path string, hsts bool) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if hsts {
		h.Set("Strict-Transport-Security", hstsValue)
	}
	if len(sh.EmbedOrigins) > 0 && sh.embeddable(path) {
		// X-Frame-Options cannot name several origins; browsers that know
		// CSP ignore it anyway, so embeddable pages send CSP alone.
		h.Set("Content-Security-Policy", "frame-ancestors 'self' "+strings.Join(sh.EmbedOrigins, " "))
		return
	}
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
}

// embeddable reports whether path lies under one of EmbedPaths.
func (sh SecurityHeaders) embeddable(path string) bool {
	for _, p := range sh.EmbedPaths {
		dir := strings.TrimSuffix(p, "/")
		if dir == "" {
			continue // "/" would make every page embeddable: not meant
		}
		if path == dir || strings.HasPrefix(path, dir+"/") {
			return true
		}
	}
	return false
}

// httpsOnly reports whether publicURL is served over https, so browsers
// may be told to use nothing else.
func httpsOnly(publicURL string) bool {
	return len(publicURL) > len("https://") && strings.EqualFold(publicURL[:len("https://")], "https://")
}
