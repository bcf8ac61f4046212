package api

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/hosts"
)

// Two documented APIs serve call links over one implementation:
// /v1/links (enveloped, cursor pagination, scheduled windows) and
// /v1/calls/links (bare objects). The handlers differ only in how they
// decode and encode.

// linkRequest is the /v1/links create body; callLinkRequest, without the
// scheduled window, is the /v1/calls/links one. Times arrive as strings so
// a bad one is reported against its field.
type callLinkRequest struct {
	RatePerMinute     *string `json:"rate_per_minute"`
	WindowSizeMinutes *int    `json:"window_size_minutes"`
	ExpiresAt         *string `json:"expires_at"`
	MaxUses           *int    `json:"max_uses"`
	Label             *string `json:"label"`
}

type linkRequest struct {
	RatePerMinute     *string `json:"rate_per_minute"`
	WindowSizeMinutes *int    `json:"window_size_minutes"`
	ExpiresAt         *string `json:"expires_at"`
	MaxUses           *int    `json:"max_uses"`
	Label             *string `json:"label"`
	ScheduledStart    *string `json:"scheduled_start"`
	ScheduledEnd      *string `json:"scheduled_end"`
}

func (in *linkRequest) input() (vidivo.LinkInput, error) {
	var (
		li   vidivo.LinkInput
		errs []vidivo.FieldError
	)
	if in.RatePerMinute != nil {
		li.Rate = *in.RatePerMinute
	}
	if in.WindowSizeMinutes != nil {
		li.WindowMinutes = *in.WindowSizeMinutes // missing stays 0: out of range
	}
	li.MaxUses, li.Label = in.MaxUses, in.Label
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
	}{
		{"expires_at", in.ExpiresAt, &li.ExpiresAt},
		{"scheduled_start", in.ScheduledStart, &li.ScheduledStart},
		{"scheduled_end", in.ScheduledEnd, &li.ScheduledEnd},
	} {
		if f.in == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339, *f.in)
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: f.name, Issue: `must be an RFC 3339 time such as "2026-03-22T00:00:00Z"`})
			continue
		}
		*f.out = &t
	}
	if len(errs) > 0 {
		return li, vidivo.Invalid(errs...)
	}
	return li, nil
}

// createLink stores the link for the calling host by the hosts service's
// rule (the dashboard's too). A host who cannot be paid yet gets 402
// stripe_not_connected.
func (s *Server) createLink(r *http.Request, in *linkRequest) (*vidivo.Link, error) {
	li, err := in.input()
	if err != nil {
		return nil, err
	}
	return s.hosts().CreateLink(r.Context(), CallerFrom(r.Context()).Subject, li)
}

// hosts is the hosts service over the server's stores and gateway.
func (s *Server) hosts() *hosts.Service {
	return &hosts.Service{Users: s.Users, Links: s.Links, Payouts: s.Payouts, Gateway: s.Gateway, PublicURL: s.PublicURL, Now: s.now}
}

func (s *Server) handleLinkCreate(w http.ResponseWriter, r *http.Request) error {
	var in linkRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, err := s.createLink(r, &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, linkEnvelope{s.linkJSON(l)})
	return nil
}

func (s *Server) handleCallLinkCreate(w http.ResponseWriter, r *http.Request) error {
	var in callLinkRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, err := s.createLink(r, &linkRequest{RatePerMinute: in.RatePerMinute, WindowSizeMinutes: in.WindowSizeMinutes,
		ExpiresAt: in.ExpiresAt, MaxUses: in.MaxUses, Label: in.Label})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.callLinkJSON(l))
	return nil
}

func (s *Server) handleLinkDelete(w http.ResponseWriter, r *http.Request) error {
	// Another host's link is 403, as documented; a deleted link is 404.
	if err := s.hosts().DeleteLink(r.Context(), CallerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleLinkGet answers GET /v1/links/{short_code}: public metadata for
// anyone, full details for the link's host. A token is optional; one that
// does not verify is treated as none, so a stale token never breaks a
// public page.
func (s *Server) handleLinkGet(w http.ResponseWriter, r *http.Request) error {
	l, host, err := s.viewableLink(r, r.PathValue("short_code"))
	if err != nil {
		return err
	}
	if tok, ok := bearerToken(r); ok {
		if c, err := s.Auth.Authenticate(tok); err == nil && (c.Subject == l.HostID || c.Role == vidivo.RoleAdmin) {
			writeJSON(w, http.StatusOK, ownerLinkEnvelope{ownerLinkJSON{s.linkJSON(l), hostName{host.DisplayName}}})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, publicLinkEnvelope{s.publicLinkJSON(l, host)})
	return nil
}

// viewableLink loads a link and its host for the public read endpoints,
// answering 404 for an unknown or deleted link and 410 for an expired or
// exhausted one (the link rule decides which).
func (s *Server) viewableLink(r *http.Request, code string) (*vidivo.Link, *vidivo.User, error) {
	if !vidivo.IsShortCode(code) {
		return nil, nil, vidivo.Errorf(vidivo.ENOTFOUND, "link not found")
	}
	l, host, err := s.Links.LinkWithHost(r.Context(), code)
	if err != nil {
		return nil, nil, err
	}
	if err := l.State(s.now()).ViewError(); err != nil {
		return nil, nil, err
	}
	return l, host, nil
}

// handleCallLinkPublic serves GET /v1/calls/links/{a}/{b}: the join-page
// info (/{shortCode}/info) and a host's active link (/active/{username}).
// Both live under one pattern because the standard mux cannot tell
// /active/info apart otherwise; short codes are never "active".
func (s *Server) handleCallLinkPublic(w http.ResponseWriter, r *http.Request) error {
	a, b := r.PathValue("a"), r.PathValue("b")
	switch {
	case a == "active":
		l, host, err := s.Links.ActiveLinkForHost(r.Context(), b, s.now())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.linkInfoJSON(l, host))
		return nil
	case b == "info":
		l, host, err := s.viewableLink(r, a)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.linkInfoJSON(l, host))
		return nil
	}
	return vidivo.Errorf(vidivo.ENOTFOUND, "no such route: %s %s", r.Method, r.URL.Path)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
