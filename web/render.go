package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/vidivo/vidivo"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed templates, one set per page: the layout with the
// page's own blocks.
type pages map[string]*template.Template

// mustParsePages parses every page at start-up (miniflux's way): a broken
// template stops the binary in tests, not a user's request.
func mustParsePages() pages {
	// Partials (_name.html) define templates several pages share.
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := pages{}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFS, name))
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out
}

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"money":    func(m vidivo.Money) string { return "$" + m.String() },
	"dataAttr": dataAttr,
}

// dataAttr renders data-name="value" for <main>. html/template refuses a
// dynamic attribute name with a hyphen (data-call-status), so the name is
// checked here, against a-z, 0-9 and inner hyphens, and the value escaped.
func dataAttr(name, value string) template.HTMLAttr {
	if name == "" || name[0] == '-' || name[len(name)-1] == '-' || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return ""
	}
	return template.HTMLAttr("data-" + name + `="` + template.HTMLEscapeString(value) + `"`)
}

// view is what every page template receives: the signed-in user (if any),
// the CSRF token for its forms, and the page's own data.
type view struct {
	Title string
	User  *vidivo.User
	CSRF  string
	// Main are data-* attributes of the page's <main>, read by its script.
	Main map[string]string
	// Script is the page's JavaScript module under /static, if any.
	Script string
	// Layout is the layout template the page is drawn in: "" is
	// layout.html; "embed-layout" (templates/_embed-layout.html) has no
	// site header, for the embedded widget.
	Layout string
	Static staticFiles
	Data   any
}

// render writes page name with status. The page is rendered to a buffer
// first, so a template error becomes a 500 page, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := s.pages[name]
	if !ok {
		s.Logger.ErrorContext(r.Context(), "no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Static = s.static
	if v.CSRF == "" {
		v.CSRF = s.csrfToken(w, r)
	}
	var buf bytes.Buffer
	layout := "layout.html"
	if v.Layout != "" {
		layout = v.Layout
	}
	if err := t.ExecuteTemplate(&buf, layout, v); err != nil {
		s.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", s.csp(r.URL.Path))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// csp is the pages' Content-Security-Policy: our own scripts, styles and
// connections only (WebSockets to our own origin included), media from
// the camera, and Stripe.js only with the Stripe gateway. No inline script
// or style: data reaches scripts through data-* attributes. No page may be
// framed, except the widget's pages under /embed/ by EmbedOrigins.
func (s *Server) csp(path string) string {
	script, frame, connect, ancestors := "'self'", "'none'", "'self'", "'none'"
	if s.embeddable(path) {
		ancestors = "'self' " + strings.Join(s.EmbedOrigins, " ")
	}
	if s.Payments == "stripe" {
		script += " https://js.stripe.com"
		frame = "https://js.stripe.com https://hooks.stripe.com"
		connect += " https://api.stripe.com"
	}
	return "default-src 'none'; script-src " + script + "; style-src 'self'; img-src 'self' data: https:; " +
		"media-src 'self' blob: mediastream:; connect-src " + connect + "; frame-src " + frame + "; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors
}

// errorView is the data of the error page.
type errorView struct {
	Heading string
	Message string
}

// renderError shows err as a page: the status of its code, its message for
// people, and for internal errors only a generic message (logged in full).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := vidivo.ErrorCode(err)
	status := statusOf(code)
	ev := errorView{Heading: headingOf(status), Message: vidivo.ErrorMessage(err)}
	if code == "" || code == vidivo.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", vidivo.RedactPath(r.URL.Path), "err", err)
		ev.Message = "Something went wrong on our side. Please try again in a moment."
	}
	s.render(w, r, status, "error", view{Title: ev.Heading, User: s.optionalUser(w, r), Data: ev})
}

// statusOf is an error code's HTTP status, as the API answers it.
func statusOf(code string) int { return vidivo.HTTPStatus(code) }

func headingOf(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusGone:
		return "This link has closed"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusForbidden, http.StatusUnauthorized:
		return "Not allowed"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// staticFiles maps a file's name to its content hash, so pages link to
// /static/app.css?v=<hash> and browsers may cache each version for good.
type staticFiles map[string]string

func mustLoadStatic() staticFiles {
	out := staticFiles{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return out
}

// URL is the versioned address of a static file, for templates.
func (sf staticFiles) URL(name string) string {
	return "/static/" + name + "?v=" + sf[name]
}

// serveStatic serves an embedded file; a versioned URL is cached for a
// year, since a new version gets a new URL.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.HasPrefix(name, ".") {
		s.renderError(w, r, vidivo.Errorf(vidivo.ENOTFOUND, "no such file"))
		return
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	if v := r.URL.Query().Get("v"); v != "" && v == s.static[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	// Modules imported by others (./card.js) have no version in their
	// URL: the content hash lets a browser revalidate them for a 304.
	etag := `"` + s.static[name] + `"`
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}
