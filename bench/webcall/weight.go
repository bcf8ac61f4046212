package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// weight is what a browser downloads for a page from us: its HTML and the
// stylesheets and JavaScript modules it loads (imports followed), in
// bytes, uncompressed as we serve them, and what gzip -6 would make of
// each file (if a proxy compressed them). Third-party scripts (Stripe.js,
// only with the Stripe gateway) and the icon are not counted.
type weight struct {
	Page, Path    string
	HTML, CSS, JS int
	Gzip          int
	Files         []string
}

// Total is HTML + CSS + JS.
func (w weight) Total() int { return w.HTML + w.CSS + w.JS }

var (
	tagRe    = regexp.MustCompile(`(?i)<(link|script)\b[^>]*>`)
	attrRe   = regexp.MustCompile(`(?i)\b(rel|href|src)\s*=\s*"([^"]*)"`)
	importRe = regexp.MustCompile(`(?m)(?:^\s*import\b[^'"]*|\bimport\(\s*)['"]([^'"]+)['"]`)
)

// weigh fetches base+path with cookie (may be empty) and every asset it
// loads from our origin.
func weigh(ctx context.Context, base, name, path, cookie string) (weight, error) {
	w := weight{Page: name, Path: path}
	body, err := fetch(ctx, base+path, cookie)
	if err != nil {
		return w, err
	}
	w.HTML, w.Gzip = len(body), gzipSize(body)
	seen := map[string]bool{}
	var add func(kind, ref, from string) error
	add = func(kind, ref, from string) error {
		u, err := resolve(from, ref)
		if err != nil || !strings.HasPrefix(u, base+"/") || seen[u] {
			return err
		}
		seen[u] = true
		b, err := fetch(ctx, u, "")
		if err != nil {
			return err
		}
		w.Files = append(w.Files, strings.TrimPrefix(u, base))
		w.Gzip += gzipSize(b)
		if kind == "css" {
			w.CSS += len(b)
			return nil
		}
		w.JS += len(b)
		for _, m := range importRe.FindAllSubmatch(b, -1) {
			if err := add("js", string(m[1]), u); err != nil {
				return err
			}
		}
		return nil
	}
	for _, tag := range tagRe.FindAllSubmatch(body, -1) {
		attrs := map[string]string{}
		for _, a := range attrRe.FindAllSubmatch(tag[0], -1) {
			attrs[strings.ToLower(string(a[1]))] = html.UnescapeString(string(a[2]))
		}
		kind := ""
		switch {
		case strings.EqualFold(string(tag[1]), "script") && attrs["src"] != "":
			kind = "js"
		case attrs["rel"] == "stylesheet":
			kind = "css"
		case attrs["rel"] == "modulepreload":
			kind = "js"
		}
		if kind == "" {
			continue
		}
		if err := add(kind, attrs["src"]+attrs["href"], base+path); err != nil {
			return w, err
		}
	}
	return w, nil
}

func resolve(from, ref string) (string, error) {
	b, err := url.Parse(from)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

func fetch(ctx context.Context, u, cookie string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s = %d", u, resp.StatusCode)
	}
	return b, nil
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, 6)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Len()
}

// weighPages weighs every page: the anonymous ones, the host's with the
// host tab's cookies, and the guest's in-call page (weighed while the
// first call was under way) and summary.
func (r *run) weighPages(ctx context.Context) ([]weight, error) {
	base := r.srv.base
	hostCookie, err := cookieHeader(r.host, base+"/dashboard")
	if err != nil {
		return nil, err
	}
	pages := []struct{ name, path, cookie string }{
		{"start page", "/", ""},
		{"sign up", "/signup", ""},
		{"log in", "/login", ""},
		{"join (guest)", "/c/" + r.code, ""},
		{"dashboard (host)", "/dashboard", hostCookie},
		{"call history (host)", "/dashboard/history", hostCookie},
		{"payouts (host)", "/settings/payouts", hostCookie},
		{"summary (guest)", r.firstCall, r.guestCookie},
	}
	var out []weight
	for _, p := range pages {
		w, err := weigh(ctx, base, p.name, p.path, p.cookie)
		if err != nil {
			return nil, fmt.Errorf("weigh %s: %w", p.name, err)
		}
		out = append(out, w)
		if p.name == "join (guest)" {
			out = append(out, r.inCall)
		}
	}
	return out, nil
}
