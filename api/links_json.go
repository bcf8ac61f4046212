package api

import (
	"time"

	"github.com/vidivo/vidivo"
)

// The documented link shapes. Nullable fields are pointers so they encode
// as null.

type callLinkJSON struct {
	ID                string  `json:"id"`
	ShortCode         string  `json:"short_code"`
	URL               string  `json:"url"`
	HostID            string  `json:"host_id"`
	RatePerMinute     string  `json:"rate_per_minute"`
	WindowSizeMinutes int     `json:"window_size_minutes"`
	ExpiresAt         *string `json:"expires_at"`
	MaxUses           *int    `json:"max_uses"`
	UseCount          int     `json:"use_count"`
	Label             *string `json:"label"`
	IsActive          bool    `json:"is_active"`
	CreatedAt         string  `json:"created_at"`
}

type linkJSON struct {
	callLinkJSON
	ScheduledStart *string `json:"scheduled_start"`
	ScheduledEnd   *string `json:"scheduled_end"`
}

type linkEnvelope struct {
	Link linkJSON `json:"link"`
}

// linkListItem is the /v1/links list item: no host id, no window.
type linkListItem struct {
	ID                string  `json:"id"`
	ShortCode         string  `json:"short_code"`
	URL               string  `json:"url"`
	RatePerMinute     string  `json:"rate_per_minute"`
	WindowSizeMinutes int     `json:"window_size_minutes"`
	ExpiresAt         *string `json:"expires_at"`
	MaxUses           *int    `json:"max_uses"`
	UseCount          int     `json:"use_count"`
	Label             *string `json:"label"`
	IsActive          bool    `json:"is_active"`
	CreatedAt         string  `json:"created_at"`
}

type pagination struct {
	Cursor  *string `json:"cursor"`
	HasMore bool    `json:"has_more"`
	Limit   int     `json:"limit"`
}

type linkList struct {
	Links      []linkListItem `json:"links"`
	Pagination pagination     `json:"pagination"`
}

type hostName struct {
	DisplayName string `json:"display_name"`
}

type publicLinkJSON struct {
	ShortCode         string   `json:"short_code"`
	URL               string   `json:"url"`
	Host              hostName `json:"host"`
	RatePerMinute     string   `json:"rate_per_minute"`
	WindowSizeMinutes int      `json:"window_size_minutes"`
	IsActive          bool     `json:"is_active"`
	ScheduledStart    *string  `json:"scheduled_start"`
	ScheduledEnd      *string  `json:"scheduled_end"`
}

type publicLinkEnvelope struct {
	Link publicLinkJSON `json:"link"`
}

type ownerLinkJSON struct {
	linkJSON
	Host hostName `json:"host"`
}

type ownerLinkEnvelope struct {
	Link ownerLinkJSON `json:"link"`
}

type linkInfoHost struct {
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Username    string  `json:"username"`
}

type linkInfoJSON struct {
	ShortCode         string       `json:"short_code"`
	Host              linkInfoHost `json:"host"`
	RatePerMinute     string       `json:"rate_per_minute"`
	WindowSizeMinutes int          `json:"window_size_minutes"`
	IsActive          bool         `json:"is_active"`
}

func (s *Server) linkURL(code string) string { return s.PublicURL + "/c/" + code }

func (s *Server) callLinkJSON(l *vidivo.Link) callLinkJSON {
	return callLinkJSON{
		ID: l.ID, ShortCode: l.ShortCode, URL: s.linkURL(l.ShortCode), HostID: l.HostID,
		RatePerMinute: l.Rate.String(), WindowSizeMinutes: l.WindowMinutes,
		ExpiresAt: optTime(l.ExpiresAt), MaxUses: l.MaxUses, UseCount: l.UseCount, Label: l.Label,
		IsActive: l.Active, CreatedAt: formatTime(l.CreatedAt),
	}
}

func (s *Server) linkJSON(l *vidivo.Link) linkJSON {
	return linkJSON{s.callLinkJSON(l), optTime(l.ScheduledStart), optTime(l.ScheduledEnd)}
}

func (s *Server) linkListItem(l *vidivo.Link) linkListItem {
	c := s.callLinkJSON(l)
	return linkListItem{
		ID: c.ID, ShortCode: c.ShortCode, URL: c.URL, RatePerMinute: c.RatePerMinute,
		WindowSizeMinutes: c.WindowSizeMinutes, ExpiresAt: c.ExpiresAt, MaxUses: c.MaxUses,
		UseCount: c.UseCount, Label: c.Label, IsActive: c.IsActive, CreatedAt: c.CreatedAt,
	}
}

func (s *Server) publicLinkJSON(l *vidivo.Link, host *vidivo.User) publicLinkJSON {
	return publicLinkJSON{
		ShortCode: l.ShortCode, URL: s.linkURL(l.ShortCode), Host: hostName{host.DisplayName},
		RatePerMinute: l.Rate.String(), WindowSizeMinutes: l.WindowMinutes, IsActive: l.Active,
		ScheduledStart: optTime(l.ScheduledStart), ScheduledEnd: optTime(l.ScheduledEnd),
	}
}

func (s *Server) linkInfoJSON(l *vidivo.Link, host *vidivo.User) linkInfoJSON {
	return linkInfoJSON{
		ShortCode:         l.ShortCode,
		Host:              linkInfoHost{DisplayName: host.DisplayName, AvatarURL: host.AvatarURL, Username: host.Username},
		RatePerMinute:     l.Rate.String(),
		WindowSizeMinutes: l.WindowMinutes,
		IsActive:          l.Active,
	}
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}
