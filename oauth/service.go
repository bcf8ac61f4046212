package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// Lifetimes.
const (
	// CodeTTL is how long a code may be exchanged: long enough for a slow
	// app server, short enough that a leaked code is soon worthless
	// (RFC 6749 §4.1.2 recommends at most 10 minutes).
	CodeTTL = 2 * time.Minute
	// AccessTTL is an access token's lifetime.
	AccessTTL = time.Hour
	// RefreshTTL is a refresh token's lifetime; each use makes a new one.
	RefreshTTL = 90 * 24 * time.Hour
	// SweepAfter is how long codes and tokens are kept once expired: a
	// day, so a support question about a token that just stopped working
	// can still be answered from its row.
	SweepAfter = 24 * time.Hour
)

// Service runs apps, consent and the token endpoint.
type Service struct {
	Store Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// AppInput creates or (with nil fields kept) updates an app.
type AppInput struct {
	Name         *string
	RedirectURIs *[]string
	Scopes       *[]string
	// ClientType is only read on creation: "" is confidential.
	ClientType string
}

// apply checks in and writes it to app. Returns EVALIDATION naming every
// bad field.
func (in AppInput) apply(app *App) error {
	var errs []vidivo.FieldError
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if fe := vidivo.CheckText("name", name, vidivo.TextRule{Required: true, Max: MaxAppNameLen}); fe != nil {
			errs = append(errs, *fe)
		}
		app.Name = name
	}
	if in.RedirectURIs != nil {
		uris := *in.RedirectURIs
		if len(uris) == 0 || len(uris) > MaxRedirectURIs {
			errs = append(errs, vidivo.FieldError{Field: "redirect_uris", Issue: fmt.Sprintf("must list 1 to %d URIs", MaxRedirectURIs)})
		}
		for i, u := range uris {
			if issue := CheckRedirectURI(u); issue != "" {
				errs = append(errs, vidivo.FieldError{Field: fmt.Sprintf("redirect_uris[%d]", i), Issue: issue})
			}
		}
		app.RedirectURIs = slices.Compact(slices.Clone(uris))
	}
	if in.Scopes != nil {
		scopes, unknown := NewScopes(*in.Scopes)
		switch {
		case len(unknown) > 0:
			errs = append(errs, vidivo.FieldError{Field: "scopes", Issue: "unknown scope " + strings.Join(unknown, ", ") + "; scopes are " + Scopes(AllScopes).String()})
		case len(scopes) == 0:
			errs = append(errs, vidivo.FieldError{Field: "scopes", Issue: "must list at least one scope"})
		}
		app.Scopes = scopes
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

// CreateApp registers an app for userID. A confidential app's secret is
// returned here only; it is kept as a hash.
func (s *Service) CreateApp(ctx context.Context, userID string, in AppInput) (*App, string, error) {
	app := &App{UserID: userID, ClientType: in.ClientType}
	if app.ClientType == "" {
		app.ClientType = Confidential
	}
	var errs []vidivo.FieldError
	if app.ClientType != Confidential && app.ClientType != Public {
		errs = append(errs, vidivo.FieldError{Field: "client_type", Issue: `must be "confidential" or "public"`})
	}
	for field, missing := range map[string]bool{"name": in.Name == nil, "redirect_uris": in.RedirectURIs == nil, "scopes": in.Scopes == nil} {
		if missing {
			errs = append(errs, vidivo.FieldError{Field: field, Issue: "is required"})
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b vidivo.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return nil, "", vidivo.Invalid(errs...)
	}
	if err := in.apply(app); err != nil {
		return nil, "", err
	}
	var secret string
	if app.ClientType == Confidential {
		var err error
		if secret, err = newSecret(SecretPrefix); err != nil {
			return nil, "", err
		}
		app.SecretHash = Hash(secret)
	}
	if err := s.Store.CreateOAuthApp(ctx, app); err != nil {
		return nil, "", err
	}
	return app, secret, nil
}

// Apps lists userID's apps.
func (s *Service) Apps(ctx context.Context, userID string) ([]*App, error) {
	return s.Store.OAuthApps(ctx, userID)
}

var errNoApp = vidivo.Errorf(vidivo.ENOTFOUND, "OAuth application not found")

// App returns userID's app id; ENOTFOUND for anyone else's.
func (s *Service) App(ctx context.Context, userID, id string) (*App, error) {
	if !vidivo.IsID(id) {
		return nil, errNoApp
	}
	app, err := s.Store.OAuthApp(ctx, id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND || (err == nil && app.UserID != userID) {
		return nil, errNoApp
	}
	return app, err
}

// UpdateApp changes userID's app id. Narrowing its scopes narrows what
// tokens already issued may do at once.
func (s *Service) UpdateApp(ctx context.Context, userID, id string, in AppInput) (*App, error) {
	app, err := s.App(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if err := in.apply(app); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateOAuthApp(ctx, app); err != nil {
		return nil, err
	}
	return app, nil
}

// RotateSecret gives userID's confidential app id a new secret, returned
// here only; the old one stops working at once. A public app has no
// secret: ECONFLICT.
func (s *Service) RotateSecret(ctx context.Context, userID, id string) (*App, string, error) {
	app, err := s.App(ctx, userID, id)
	if err != nil {
		return nil, "", err
	}
	if app.ClientType != Confidential {
		return nil, "", vidivo.Errorf(vidivo.ECONFLICT, "a public app has no client secret; it uses PKCE only")
	}
	secret, err := newSecret(SecretPrefix)
	if err != nil {
		return nil, "", err
	}
	app.SecretHash = Hash(secret)
	if err := s.Store.UpdateOAuthApp(ctx, app); err != nil {
		return nil, "", err
	}
	return app, secret, nil
}

// DeleteApp deletes userID's app id: every token it holds stops working.
func (s *Service) DeleteApp(ctx context.Context, userID, id string) error {
	if !vidivo.IsID(id) {
		return errNoApp
	}
	return s.Store.DeleteOAuthApp(ctx, userID, id)
}

// Authorizations lists the apps userID authorized.
func (s *Service) Authorizations(ctx context.Context, userID string) ([]*Authorization, error) {
	return s.Store.OAuthAuthorizations(ctx, userID)
}

// RevokeAuthorization withdraws userID's consent id: the app's tokens for
// the user stop working at once.
func (s *Service) RevokeAuthorization(ctx context.Context, userID, id string) error {
	if !vidivo.IsID(id) {
		return vidivo.Errorf(vidivo.ENOTFOUND, "OAuth authorization not found")
	}
	return s.Store.DeleteOAuthAuthorization(ctx, userID, id)
}

// AuthorizeRequest is the query of GET /oauth/authorize (RFC 6749 §4.1.1,
// RFC 7636 §4.3).
type AuthorizeRequest struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// AuthorizeRequestFrom reads the request's parameters from a query or form.
func AuthorizeRequestFrom(v url.Values) AuthorizeRequest {
	return AuthorizeRequest{ResponseType: v.Get("response_type"), ClientID: v.Get("client_id"),
		RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"), State: v.Get("state"),
		CodeChallenge: v.Get("code_challenge"), CodeChallengeMethod: v.Get("code_challenge_method")}
}

// Values is the request as parameters, for the consent form to post back.
func (r AuthorizeRequest) Values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"response_type": r.ResponseType, "client_id": r.ClientID,
		"redirect_uri": r.RedirectURI, "scope": r.Scope, "state": r.State,
		"code_challenge": r.CodeChallenge, "code_challenge_method": r.CodeChallengeMethod} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// Consent is a checked authorization request: what the consent page shows.
type Consent struct {
	App         *App
	Scopes      Scopes
	RedirectURI string
	Request     AuthorizeRequest
}

// RedirectError is an authorization error to send back to the app at its
// (checked) redirect URI (RFC 6749 §4.1.2.1).
type RedirectError struct {
	Err   *Error
	URI   string
	State string
}

func (e *RedirectError) Error() string { return e.Err.Error() }

// Location is the URL that tells the app of the error.
func (e *RedirectError) Location() string {
	return withQuery(e.URI, url.Values{"error": {e.Err.Code}, "error_description": {e.Err.Description}}, e.State)
}

// withQuery adds params (and state, if any) to uri's query.
func withQuery(uri string, params url.Values, state string) string {
	u, _ := url.Parse(uri) // checked at registration
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// CheckAuthorize checks an authorization request. Errors about the client
// or the redirect URI are vidivo errors, shown to the user and never sent
// to an unchecked URI (RFC 6749 §4.1.2.1); the rest are *RedirectError.
func (s *Service) CheckAuthorize(ctx context.Context, req AuthorizeRequest) (*Consent, error) {
	if req.ClientID == "" || !vidivo.IsID(req.ClientID) {
		return nil, vidivo.Errorf(vidivo.EVALIDATION, "client_id is missing or is not an app's client_id")
	}
	app, err := s.Store.OAuthApp(ctx, req.ClientID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, vidivo.Errorf(vidivo.EVALIDATION, "there is no app with this client_id")
	}
	if err != nil {
		return nil, err
	}
	uri, err := pickRedirect(app, req.RedirectURI)
	if err != nil {
		return nil, err
	}
	fail := func(code, desc string) error {
		return &RedirectError{Err: protoErr(code, desc), URI: uri, State: req.State}
	}
	if issue := CheckState(req.State); issue != "" {
		return nil, &RedirectError{Err: protoErr(ErrInvalidRequest, issue), URI: uri}
	}
	if req.ResponseType != "code" {
		return nil, fail(ErrUnsupportedResponseType, `response_type must be "code"`)
	}
	if issue := CheckChallenge(req.CodeChallenge, req.CodeChallengeMethod); issue != "" {
		return nil, fail(ErrInvalidRequest, issue)
	}
	scopes := app.Scopes
	if req.Scope != "" {
		var unknown []string
		scopes, unknown = ParseScopes(req.Scope)
		if len(unknown) > 0 || len(scopes) == 0 {
			return nil, fail(ErrInvalidScope, "unknown scope: "+strings.Join(unknown, " "))
		}
		if !scopes.Within(app.Scopes) {
			return nil, fail(ErrInvalidScope, "the app is registered for "+app.Scopes.String()+" only")
		}
	}
	return &Consent{App: app, Scopes: scopes, RedirectURI: uri, Request: req}, nil
}

// pickRedirect returns the redirect URI to use: the request's, which must
// equal a registered one exactly (RFC 6749 §3.1.2.3; no prefix or
// pattern matching), or the only one registered when the request names
// none.
func pickRedirect(app *App, asked string) (string, error) {
	if asked == "" {
		if len(app.RedirectURIs) == 1 {
			return app.RedirectURIs[0], nil
		}
		return "", vidivo.Errorf(vidivo.EVALIDATION, "redirect_uri is required: the app registered several")
	}
	if !slices.Contains(app.RedirectURIs, asked) {
		return "", vidivo.Errorf(vidivo.EVALIDATION, "redirect_uri is not one the app registered")
	}
	return asked, nil
}

// Approve records userID's consent to the request and returns where to
// send the browser: the redirect URI with the code and state.
func (s *Service) Approve(ctx context.Context, userID string, req AuthorizeRequest) (string, error) {
	c, err := s.CheckAuthorize(ctx, req)
	if err != nil {
		return "", err
	}
	code, err := newSecret(CodePrefix)
	if err != nil {
		return "", err
	}
	now := s.now()
	g := &Grant{UserID: userID, AppID: c.App.ID, Scopes: c.Scopes, Code: &Code{
		Hash: Hash(code), RedirectURI: req.RedirectURI, Scopes: c.Scopes, Challenge: req.CodeChallenge,
		CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}}
	if err := s.Store.Grant(ctx, g); err != nil {
		return "", err
	}
	return withQuery(c.RedirectURI, url.Values{"code": {code}}, req.State), nil
}

// Deny returns where to send the browser when the user refuses: the
// redirect URI with access_denied and the state.
func (s *Service) Deny(ctx context.Context, req AuthorizeRequest) (string, error) {
	c, err := s.CheckAuthorize(ctx, req)
	if err != nil {
		return "", err
	}
	e := &RedirectError{Err: protoErr(ErrAccessDenied, "the user did not allow access"), URI: c.RedirectURI, State: req.State}
	return e.Location(), nil
}

// Client is how a client authenticated at the token or revocation
// endpoint: client_secret_basic (Basic), client_secret_post or, for a
// public app, its client_id alone.
type Client struct {
	ID     string
	Secret string
	// Basic is set when the credentials came in the Authorization header.
	Basic bool
}

// TokenRequest is the form of POST /oauth/token.
type TokenRequest struct {
	Client       Client
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	Scope        string
}

// TokenResponse is a successful token answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

var errBadClient = protoErr(ErrInvalidClient, "client authentication failed")

// authenticateClient returns the app c names if its credentials are
// right: a confidential app's secret must match; a public app has none.
func (s *Service) authenticateClient(ctx context.Context, c Client) (*App, error) {
	if !vidivo.IsID(c.ID) {
		return nil, errBadClient
	}
	app, err := s.Store.OAuthApp(ctx, c.ID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errBadClient
	}
	if err != nil {
		return nil, err
	}
	switch {
	case app.ClientType == Public && c.Secret == "":
		return app, nil
	case app.ClientType == Confidential && secretMatches(c.Secret, app.SecretHash):
		return app, nil
	}
	return nil, errBadClient
}

// Token runs the token endpoint. Protocol failures are *Error.
func (s *Service) Token(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	if req.GrantType != "authorization_code" && req.GrantType != "refresh_token" {
		if req.GrantType == "" {
			return nil, protoErr(ErrInvalidRequest, "grant_type is required")
		}
		return nil, protoErr(ErrUnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
	}
	app, err := s.authenticateClient(ctx, req.Client)
	if err != nil {
		return nil, err
	}
	if req.GrantType == "authorization_code" {
		return s.exchangeCode(ctx, app, req)
	}
	return s.refresh(ctx, app, req)
}

var errBadCode = protoErr(ErrInvalidGrant, "the code is invalid, expired, already used, or was issued to another client")

// exchangeCode checks the code against the client, the redirect URI and
// the PKCE verifier, then redeems it once.
func (s *Service) exchangeCode(ctx context.Context, app *App, req TokenRequest) (*TokenResponse, error) {
	if req.Code == "" {
		return nil, protoErr(ErrInvalidRequest, "code is required")
	}
	code, err := s.Store.CodeByHash(ctx, Hash(req.Code))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errBadCode
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if issue := checkCode(code, app, req, now); issue != nil {
		return nil, issue
	}
	resp, tokens, err := s.newTokens(code.AuthorizationID, code.Scopes.Intersect(app.Scopes), now)
	if err != nil {
		return nil, err
	}
	if err := s.Store.RedeemCode(ctx, code.Hash, now, tokens); err != nil {
		// ENOTFOUND: the user withdrew consent since the lookup.
		if errors.Is(err, ErrReused) || vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return nil, errBadCode
		}
		return nil, err
	}
	return resp, nil
}

// checkCode is every check of a code exchange but its single use, which
// the store makes.
func checkCode(code *Code, app *App, req TokenRequest, now time.Time) *Error {
	switch {
	case code.AppID != app.ID:
		return errBadCode
	case !now.Before(code.ExpiresAt):
		return errBadCode
	case req.RedirectURI != code.RedirectURI:
		return protoErr(ErrInvalidGrant, "redirect_uri must equal the one in the authorization request")
	}
	if issue := VerifyPKCE(req.CodeVerifier, code.Challenge); issue != "" {
		return protoErr(ErrInvalidGrant, issue)
	}
	return nil
}

var errBadRefresh = protoErr(ErrInvalidGrant, "the refresh token is invalid, expired, revoked or was issued to another client")

// refresh rotates a refresh token: the old one stops working; using it
// again revokes the whole family.
func (s *Service) refresh(ctx context.Context, app *App, req TokenRequest) (*TokenResponse, error) {
	if req.RefreshToken == "" {
		return nil, protoErr(ErrInvalidRequest, "refresh_token is required")
	}
	if !hasShape(req.RefreshToken, RefreshPrefix) {
		return nil, errBadRefresh
	}
	t, err := s.Store.TokenByHash(ctx, Hash(req.RefreshToken))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, err
	}
	if t.Kind != KindRefresh || t.AppID != app.ID {
		return nil, errBadRefresh
	}
	scopes := t.Scopes
	if req.Scope != "" {
		asked, unknown := ParseScopes(req.Scope)
		if len(unknown) > 0 || !asked.Within(t.Scopes) {
			return nil, protoErr(ErrInvalidScope, "a refresh may only narrow the scopes granted: "+t.Scopes.String())
		}
		scopes = asked
	}
	now := s.now()
	resp, tokens, err := s.newTokens(t.AuthorizationID, scopes.Intersect(app.Scopes), now)
	if err != nil {
		return nil, err
	}
	for _, n := range tokens {
		n.FamilyID = t.FamilyID
	}
	if err := s.Store.RotateRefresh(ctx, t.Hash, now, tokens); err != nil {
		if errors.Is(err, ErrReused) {
			return nil, protoErr(ErrInvalidGrant, "the refresh token was already used; every token of this grant is revoked")
		}
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return nil, errBadRefresh
		}
		return nil, err
	}
	// A refresh token that was already narrowed keeps the narrower set.
	resp.Scope = scopes.Intersect(app.Scopes).String()
	return resp, nil
}

// newTokens makes an access and a refresh token for an authorization.
func (s *Service) newTokens(authID string, scopes Scopes, now time.Time) (*TokenResponse, []*Token, error) {
	access, err := newSecret(AccessPrefix)
	if err != nil {
		return nil, nil, err
	}
	refresh, err := newSecret(RefreshPrefix)
	if err != nil {
		return nil, nil, err
	}
	tokens := []*Token{
		{Hash: Hash(access), Kind: KindAccess, AuthorizationID: authID, Scopes: scopes, ExpiresAt: now.Add(AccessTTL)},
		{Hash: Hash(refresh), Kind: KindRefresh, AuthorizationID: authID, Scopes: scopes, ExpiresAt: now.Add(RefreshTTL)},
	}
	resp := &TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(AccessTTL / time.Second),
		RefreshToken: refresh, Scope: scopes.String()}
	return resp, tokens, nil
}

// Revoke runs the revocation endpoint (RFC 7009): an access or refresh
// token of the client, and every token of its family, stops working. An
// unknown token, or another client's, is no error (§2.2).
func (s *Service) Revoke(ctx context.Context, c Client, tok string) error {
	app, err := s.authenticateClient(ctx, c)
	if err != nil {
		return err
	}
	if tok == "" {
		return protoErr(ErrInvalidRequest, "token is required")
	}
	if !hasShape(tok, AccessPrefix) && !hasShape(tok, RefreshPrefix) {
		return nil
	}
	t, err := s.Store.TokenByHash(ctx, Hash(tok))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if t.AppID != app.ID {
		return nil
	}
	return s.Store.RevokeFamily(ctx, t.FamilyID, s.now())
}

// Access is what an access token grants: the user it acts for (with the
// user's current role) and the scopes it may use.
type Access struct {
	Caller vidivo.Caller
	AppID  string
	Scopes Scopes
}

var errBadAccess = vidivo.Errorf(vidivo.EUNAUTHORIZED, "the OAuth access token is invalid, revoked or expired")

// Authenticate checks an access token. Its scopes are those granted that
// the app is still registered for. Every failure is EUNAUTHORIZED.
func (s *Service) Authenticate(ctx context.Context, tok string) (*Access, error) {
	if !IsAccessToken(tok) {
		return nil, errBadAccess
	}
	t, err := s.Store.TokenByHash(ctx, Hash(tok))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errBadAccess
	}
	if err != nil {
		return nil, err
	}
	if t.Kind != KindAccess || t.RevokedAt != nil || !s.now().Before(t.ExpiresAt) {
		return nil, errBadAccess
	}
	return &Access{Caller: vidivo.Caller{Subject: t.UserID, Role: t.Role}, AppID: t.AppID,
		Scopes: t.Scopes.Intersect(t.AppScopes)}, nil
}

// Metadata is the authorization server's metadata (RFC 8414).
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
}

// MetadataFor is the metadata of the server at publicURL.
func MetadataFor(publicURL string) Metadata {
	auth := []string{"client_secret_basic", "client_secret_post", "none"}
	return Metadata{Issuer: publicURL, AuthorizationEndpoint: publicURL + "/oauth/authorize",
		TokenEndpoint: publicURL + "/oauth/token", RevocationEndpoint: publicURL + "/oauth/revoke",
		ScopesSupported: slices.Clone(AllScopes), ResponseTypesSupported: []string{"code"},
		GrantTypesSupported: []string{"authorization_code", "refresh_token"}, CodeChallengeMethodsSupported: []string{"S256"},
		TokenEndpointAuthMethodsSupported: auth, RevocationEndpointAuthMethods: auth}
}

// Sweep deletes codes and tokens expired for more than SweepAfter. An
// expired code is refused before its single use is checked, so its row
// serves nothing; a used refresh token is kept while its family lives, so
// replaying it still revokes the family (see Store.SweepOAuth).
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	n, err := s.Store.SweepOAuth(ctx, now.Add(-SweepAfter), now)
	if err != nil {
		return 0, fmt.Errorf("oauth: sweep: %w", err)
	}
	return n, nil
}
