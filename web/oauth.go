package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

// oauthRoutes serves the consent page of OAuth apps (docs/oauth.md) and
// the settings page where users manage the apps they registered and the
// apps they authorized.
func (s *Server) oauthRoutes(m *http.ServeMux) {
	if s.OAuth == nil {
		return
	}
	m.Handle("GET /oauth/authorize", s.page(s.handleOAuthAuthorize))
	m.Handle("POST /oauth/authorize", s.page(s.handleOAuthDecision))
	m.Handle("GET /settings/apps", s.page(s.handleOAuthSettings))
	m.Handle("POST /settings/apps", s.page(s.handleOAuthAppCreate))
	m.Handle("POST /settings/apps/{id}/delete", s.page(s.handleOAuthAppDelete))
	m.Handle("POST /settings/authorizations/{id}/revoke", s.page(s.handleOAuthRevoke))
}

// consentView is the consent page's data.
type consentView struct {
	AppName      string
	RedirectHost string
	Scopes       []scopeView
	Params       url.Values
}

type scopeView struct {
	Name, Text string
	Checked    bool
}

// oauthFail answers an authorization error: one for the app goes back to
// its checked redirect URI; one about the client or the redirect URI is
// shown here, never sent to an unchecked address.
func (s *Server) oauthFail(w http.ResponseWriter, r *http.Request, err error) error {
	var re *oauth.RedirectError
	if errors.As(err, &re) {
		http.Redirect(w, r, re.Location(), http.StatusSeeOther)
		return nil
	}
	return err
}

// handleOAuthAuthorize is GET /oauth/authorize: the request is checked
// first (a bad one never asks the user anything), then the user logs in
// if needed and is asked.
func (s *Server) handleOAuthAuthorize(w http.ResponseWriter, r *http.Request) error {
	req := oauth.AuthorizeRequestFrom(r.URL.Query())
	c, err := s.OAuth.CheckAuthorize(r.Context(), req)
	if err != nil {
		return s.oauthFail(w, r, err)
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	v := consentView{AppName: c.App.Name, Params: req.Values()}
	if ru, err := url.Parse(c.RedirectURI); err == nil {
		v.RedirectHost = ru.Host
	}
	for _, sc := range c.Scopes {
		v.Scopes = append(v.Scopes, scopeView{Name: sc, Text: oauth.Describe(sc)})
	}
	s.render(cspFormTo(w, c.RedirectURI), r, http.StatusOK, "oauth-consent",
		view{Title: "Allow " + c.App.Name + "?", User: u, Data: v})
	return nil
}

// handleOAuthDecision is POST /oauth/authorize: the consent form's Allow
// or Deny.
func (s *Server) handleOAuthDecision(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	req := oauth.AuthorizeRequestFrom(r.PostForm)
	u, ok, err := s.requireUserAt(w, r, "/oauth/authorize?"+req.Values().Encode())
	if !ok {
		return err
	}
	var dest string
	switch r.PostFormValue("decision") {
	case "allow":
		dest, err = s.OAuth.Approve(r.Context(), u.ID, req)
	case "deny":
		dest, err = s.OAuth.Deny(r.Context(), req)
	default:
		return vidivo.Errorf(vidivo.EVALIDATION, "choose Allow or Deny")
	}
	if err != nil {
		return s.oauthFail(w, r, err)
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// requireUserAt is requireUser that comes back to next (a GET) after
// logging in, for forms that cannot be posted again.
func (s *Server) requireUserAt(w http.ResponseWriter, r *http.Request, next string) (*vidivo.User, bool, error) {
	if u := s.optionalUser(w, r); u != nil {
		return u, true, nil
	}
	http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
	return nil, false, nil
}

// cspFormTo lets the consent form's answer redirect to the app: browsers
// apply form-action to the redirects that follow a form's submission, and
// the pages' policy allows only this site.
func cspFormTo(w http.ResponseWriter, redirectURI string) http.ResponseWriter {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Host == "" {
		return w
	}
	return &cspWriter{ResponseWriter: w, extra: u.Scheme + "://" + u.Host}
}

// cspWriter adds an origin to form-action as the header is written.
type cspWriter struct {
	http.ResponseWriter
	extra string
}

func (c *cspWriter) WriteHeader(status int) {
	h := c.Header()
	if p := h.Get("Content-Security-Policy"); p != "" {
		h.Set("Content-Security-Policy", strings.Replace(p, "form-action 'self'", "form-action 'self' "+c.extra, 1))
	}
	c.ResponseWriter.WriteHeader(status)
}

// appsView is the settings page's data.
type appsView struct {
	Apps           []*oauth.App
	Authorizations []*oauth.Authorization
	Scopes         []scopeView
	// Created is an app just registered, with its secret shown this once.
	Created       *oauth.App
	CreatedSecret string
	Error         string
	Form          appForm
}

type appForm struct {
	Name, RedirectURIs, ClientType string
}

// handleOAuthSettings is GET /settings/apps.
func (s *Server) handleOAuthSettings(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	return s.renderApps(w, r, u, http.StatusOK, appsView{Form: appForm{ClientType: oauth.Confidential}})
}

func (s *Server) renderApps(w http.ResponseWriter, r *http.Request, u *vidivo.User, status int, v appsView) error {
	var err error
	if v.Apps, err = s.OAuth.Apps(r.Context(), u.ID); err != nil {
		return err
	}
	if v.Authorizations, err = s.OAuth.Authorizations(r.Context(), u.ID); err != nil {
		return err
	}
	for _, sc := range oauth.AllScopes {
		v.Scopes = append(v.Scopes, scopeView{Name: sc, Text: oauth.Describe(sc)})
	}
	s.render(w, r, status, "oauth-apps", view{Title: "Apps", User: u, Data: v})
	return nil
}

// handleOAuthAppCreate is POST /settings/apps: registers an app and shows
// its secret once.
func (s *Server) handleOAuthAppCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	form := appForm{Name: r.PostFormValue("name"), RedirectURIs: r.PostFormValue("redirect_uris"), ClientType: r.PostFormValue("client_type")}
	uris := strings.Fields(form.RedirectURIs)
	scopes := r.PostForm["scopes"]
	app, secret, err := s.OAuth.CreateApp(r.Context(), u.ID, oauth.AppInput{Name: &form.Name, RedirectURIs: &uris,
		Scopes: &scopes, ClientType: form.ClientType})
	if err != nil {
		if vidivo.ErrorCode(err) == vidivo.EINTERNAL || vidivo.ErrorCode(err) == "" {
			return err
		}
		return s.renderApps(w, r, u, statusOf(vidivo.ErrorCode(err)), appsView{Error: vidivo.ErrorMessage(err), Form: form})
	}
	return s.renderApps(w, r, u, http.StatusOK, appsView{Created: app, CreatedSecret: secret, Form: appForm{ClientType: oauth.Confidential}})
}

// handleOAuthAppDelete is POST /settings/apps/{id}/delete.
func (s *Server) handleOAuthAppDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	if err := s.OAuth.DeleteApp(r.Context(), u.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/apps", http.StatusSeeOther)
	return nil
}

// handleOAuthRevoke is POST /settings/authorizations/{id}/revoke: the
// app's tokens for the user stop working at once.
func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	if err := s.OAuth.RevokeAuthorization(r.Context(), u.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/apps", http.StatusSeeOther)
	return nil
}
