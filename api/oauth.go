package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

// oauthAppJSON is the documented OAuth application. ClientSecret is set
// only in the answers that create a confidential app or rotate its secret.
type oauthAppJSON struct {
	ID           string   `json:"id"`
	ClientID     string   `json:"client_id"`
	Name         string   `json:"name"`
	ClientType   string   `json:"client_type"`
	ClientSecret string   `json:"client_secret,omitempty"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

func newOAuthAppJSON(a *oauth.App, secret string) oauthAppJSON {
	scopes := []string(a.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	return oauthAppJSON{ID: a.ID, ClientID: a.ID, Name: a.Name, ClientType: a.ClientType, ClientSecret: secret,
		RedirectURIs: a.RedirectURIs, Scopes: scopes, CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt)}
}

type oauthAppRequest struct {
	Name         *string   `json:"name"`
	RedirectURIs *[]string `json:"redirect_uris"`
	Scopes       *[]string `json:"scopes"`
	ClientType   *string   `json:"client_type"`
}

func writeOAuthApp(w http.ResponseWriter, status int, a *oauth.App, secret string) {
	if secret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, status, map[string]oauthAppJSON{"oauth_application": newOAuthAppJSON(a, secret)})
}

// handleOAuthAppCreate is POST /v1/oauth_applications.
func (s *Server) handleOAuthAppCreate(w http.ResponseWriter, r *http.Request) error {
	var in oauthAppRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ai := oauth.AppInput{Name: in.Name, RedirectURIs: in.RedirectURIs, Scopes: in.Scopes}
	if in.ClientType != nil {
		ai.ClientType = *in.ClientType
		if ai.ClientType == "" {
			return vidivo.Invalid(vidivo.FieldError{Field: "client_type", Issue: `must be "confidential" or "public"`})
		}
	}
	app, secret, err := s.OAuth.CreateApp(r.Context(), CallerFrom(r.Context()).Subject, ai)
	if err != nil {
		return err
	}
	writeOAuthApp(w, http.StatusCreated, app, secret)
	return nil
}

// handleOAuthAppList is GET /v1/oauth_applications: the caller's apps.
func (s *Server) handleOAuthAppList(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.OAuth.Apps(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	out := make([]oauthAppJSON, len(apps))
	for i, a := range apps {
		out[i] = newOAuthAppJSON(a, "")
	}
	writeJSON(w, http.StatusOK, map[string][]oauthAppJSON{"oauth_applications": out})
	return nil
}

// handleOAuthAppGet is GET /v1/oauth_applications/{id}.
func (s *Server) handleOAuthAppGet(w http.ResponseWriter, r *http.Request) error {
	app, err := s.OAuth.App(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOAuthApp(w, http.StatusOK, app, "")
	return nil
}

// handleOAuthAppUpdate is PATCH /v1/oauth_applications/{id}: name,
// redirect_uris and scopes; the client type is fixed at creation.
func (s *Server) handleOAuthAppUpdate(w http.ResponseWriter, r *http.Request) error {
	var in oauthAppRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ClientType != nil {
		return vidivo.Invalid(vidivo.FieldError{Field: "client_type", Issue: "cannot be changed; register a new app"})
	}
	app, err := s.OAuth.UpdateApp(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"),
		oauth.AppInput{Name: in.Name, RedirectURIs: in.RedirectURIs, Scopes: in.Scopes})
	if err != nil {
		return err
	}
	writeOAuthApp(w, http.StatusOK, app, "")
	return nil
}

// handleOAuthAppDelete is DELETE /v1/oauth_applications/{id}.
func (s *Server) handleOAuthAppDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.OAuth.DeleteApp(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleOAuthAppRotate is POST /v1/oauth_applications/{id}/rotate_secret.
func (s *Server) handleOAuthAppRotate(w http.ResponseWriter, r *http.Request) error {
	app, secret, err := s.OAuth.RotateSecret(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOAuthApp(w, http.StatusOK, app, secret)
	return nil
}

type oauthAuthorizationJSON struct {
	ID          string `json:"id"`
	Application struct {
		ClientID string `json:"client_id"`
		Name     string `json:"name"`
	} `json:"application"`
	Scopes    []string `json:"scopes"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
}

// handleOAuthAuthorizationList is GET /v1/oauth_authorizations: the apps
// the caller allowed to act for them.
func (s *Server) handleOAuthAuthorizationList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.OAuth.Authorizations(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	out := make([]oauthAuthorizationJSON, len(list))
	for i, a := range list {
		out[i] = oauthAuthorizationJSON{ID: a.ID, Scopes: append([]string{}, a.Scopes...),
			CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt)}
		out[i].Application.ClientID, out[i].Application.Name = a.App.ID, a.App.Name
	}
	writeJSON(w, http.StatusOK, map[string][]oauthAuthorizationJSON{"oauth_authorizations": out})
	return nil
}

// handleOAuthAuthorizationDelete is DELETE /v1/oauth_authorizations/{id}:
// the app's tokens for the caller stop working at once.
func (s *Server) handleOAuthAuthorizationDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.OAuth.RevokeAuthorization(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleOAuthMetadata is GET /.well-known/oauth-authorization-server
// (RFC 8414).
func (s *Server) handleOAuthMetadata(w http.ResponseWriter, r *http.Request) {
	body, _ := json.Marshal(oauth.MetadataFor(s.PublicURL))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(append(body, '\n'))
}

// maxOAuthForm bounds the token and revocation endpoints' bodies.
const maxOAuthForm = 16 << 10

// oauthForm reads the endpoint's form body and the client's credentials
// (RFC 6749 §2.3.1: HTTP Basic with form-encoded id and secret, or
// client_id and client_secret in the body; never both). A parameter sent
// twice is invalid (§3.2).
func oauthForm(r *http.Request) (url.Values, oauth.Client, error) {
	var c oauth.Client
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, c, &oauth.Error{Code: oauth.ErrInvalidRequest, Description: "Content-Type must be application/x-www-form-urlencoded"}
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxOAuthForm)
	if err := r.ParseForm(); err != nil {
		return nil, c, &oauth.Error{Code: oauth.ErrInvalidRequest, Description: "the body is not a form (or is over 16 KiB)"}
	}
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 {
			return nil, c, &oauth.Error{Code: oauth.ErrInvalidRequest, Description: k + " is given more than once"}
		}
		if vidivo.TextIssue(v[0], vidivo.TextRule{}) != "" {
			return nil, c, &oauth.Error{Code: oauth.ErrInvalidRequest, Description: k + " holds characters no value can hold"}
		}
	}
	c.ID, c.Secret = form.Get("client_id"), form.Get("client_secret")
	if id, secret, ok := r.BasicAuth(); ok {
		if c.Secret != "" {
			return nil, c, &oauth.Error{Code: oauth.ErrInvalidRequest, Description: "use one client authentication method, not both"}
		}
		uid, err1 := url.QueryUnescape(id)
		usecret, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || (c.ID != "" && c.ID != uid) {
			return nil, c, &oauth.Error{Code: oauth.ErrInvalidClient, Description: "client authentication failed"}
		}
		c.ID, c.Secret, c.Basic = uid, usecret, true
	}
	return form, c, nil
}

// writeOAuthError answers in the protocol's format (RFC 6749 §5.2), which
// OAuth clients parse, not the API's; a failed Basic authentication gets
// WWW-Authenticate.
func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error, basic bool) {
	var e *oauth.Error
	if !errors.As(err, &e) {
		s.Logger.ErrorContext(r.Context(), "oauth endpoint failed", "path", vidivo.RedactPath(r.URL.Path), "err", err)
		e = &oauth.Error{Code: oauth.ErrServerError, Description: "internal error"}
	}
	if e.Code == oauth.ErrInvalidClient && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="vidivo"`)
	}
	body, _ := json.Marshal(map[string]string{"error": e.Code, "error_description": e.Description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(e.Status())
	_, _ = w.Write(append(body, '\n'))
}

// handleOAuthToken is POST /oauth/token: the authorization_code and
// refresh_token grants.
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	if err := s.limitOAuth(w, r); err != nil {
		s.writeOAuthError(w, r, err, false)
		return
	}
	form, c, err := oauthForm(r)
	if err != nil {
		s.writeOAuthError(w, r, err, false)
		return
	}
	resp, err := s.OAuth.Token(r.Context(), oauth.TokenRequest{Client: c, GrantType: form.Get("grant_type"),
		Code: form.Get("code"), RedirectURI: form.Get("redirect_uri"), CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"), Scope: form.Get("scope")})
	if err != nil {
		s.writeOAuthError(w, r, err, c.Basic)
		return
	}
	body, _ := json.Marshal(resp)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_, _ = w.Write(append(body, '\n'))
}

// handleOAuthRevoke is POST /oauth/revoke (RFC 7009): 200 with no body
// whether or not the token was known.
func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.limitOAuth(w, r); err != nil {
		s.writeOAuthError(w, r, err, false)
		return
	}
	form, c, err := oauthForm(r)
	if err == nil {
		err = s.OAuth.Revoke(r.Context(), c, form.Get("token"))
	}
	if err != nil {
		s.writeOAuthError(w, r, err, c.Basic)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
