package sso_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/password"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sso"
	"github.com/vidivo/vidivo/testclock"
	"github.com/vidivo/vidivo/token"
)

var _ sso.Store = (*sqldb.DB)(nil)

var (
	keysOnce sync.Once
	keys     *token.KeySet
)

type bundle struct {
	svc   *sso.Service
	db    *sqldb.DB
	clock *testclock.Clock
}

func setup(t *testing.T, engine string) *bundle {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keys, err = token.GenerateKeySet(); err != nil {
			panic(err)
		}
	})
	clock := testclock.New(now)
	db := sqldbtest.New(t, engine)
	db.Now = clock.Now
	a := &auth.Service{Users: db, Now: clock.Now,
		Tokens: &token.Issuer{Keys: keys, Issuer: "http://vidivo.test", Audience: "vidivo", TTL: 15 * time.Minute, Now: clock.Now},
		Hasher: password.Hasher{Params: password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}}
	return &bundle{svc: &sso.Service{Store: db, Auth: a, Partners: partners, Now: clock.Now}, db: db, clock: clock}
}

// mint signs claims at the bundle's time, with a distinct iat per call so
// that tokens are distinct.
func (b *bundle) mint(t *testing.T, key string, edit func(jwt.MapClaims)) string {
	t.Helper()
	at := b.clock.Now()
	c := claims()
	c["iat"], c["exp"] = at.Unix(), at.Add(15*time.Minute).Unix()
	if edit != nil {
		edit(c)
	}
	return sign(t, c, key)
}

func forEngine(t *testing.T, fn func(t *testing.T, b *bundle)) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, engine))
		})
	}
}

func TestServiceSignup(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		raw := b.mint(t, keyA, func(c jwt.MapClaims) { c["email"] = " Jane@Example.com " })
		a, err := b.svc.Signup(ctx, raw)
		if err != nil {
			t.Fatalf("Signup: %v", err)
		}
		u := a.User
		if u.Email != "jane@example.com" || u.DisplayName != "Jane Smith" || u.Username != "jane-smith" ||
			u.Role != vidivo.RoleHost || u.Timezone != "America/Los_Angeles" || a.BusinessName != "Jane's Studio" || a.Issuer != "abcd" {
			t.Errorf("account = %+v %+v", a, u)
		}
		// The same token again is a replay.
		if _, err := b.svc.Signup(ctx, raw); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED || !strings.Contains(vidivo.ErrorMessage(err), "already used") {
			t.Errorf("replayed sign-up = %v", err)
		}
		// A fresh token for the same email: the seed's error.
		b.clock.Add(time.Second)
		_, err = b.svc.Signup(ctx, b.mint(t, keyA, nil))
		if vidivo.ErrorCode(err) != vidivo.EFORBIDDEN || vidivo.ErrorMessage(err) != "Validation failed: User email has already been taken" {
			t.Errorf("taken email = %v", err)
		}
		// The same name with another email gets another username.
		b.clock.Add(time.Second)
		a2, err := b.svc.Signup(ctx, b.mint(t, keyB, func(c jwt.MapClaims) { c["iss"], c["email"] = "other", "jane@other.example" }))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a2.User.Username, "jane-smith-") || vidivo.CheckUsername(a2.User.Username) != "" {
			t.Errorf("second username = %q", a2.User.Username)
		}
		// A password log-in is refused like any wrong password.
		if _, err := b.svc.Auth.Login(ctx, "jane@example.com", ""); vidivo.ErrorCode(err) != vidivo.EVALIDATION {
			t.Errorf("log-in without password = %v", err)
		}
		if _, err := b.svc.Auth.Login(ctx, "jane@example.com", "some guess 123"); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
			t.Errorf("password log-in = %v", err)
		}
	})
}

func TestServiceSignupClaims(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		for _, tc := range []struct {
			name  string
			edit  func(jwt.MapClaims)
			field string // "" accepts
		}{
			{"IANA zone", func(c jwt.MapClaims) { c["time_zone"] = "Europe/Berlin" }, ""},
			{"no zone: Pacific", func(c jwt.MapClaims) { delete(c, "time_zone") }, ""},
			{"no business name", func(c jwt.MapClaims) { delete(c, "business_name") }, ""},
			{"unknown zone", func(c jwt.MapClaims) { c["time_zone"] = "Atlantis" }, "time_zone"},
			{"no email", func(c jwt.MapClaims) { delete(c, "email") }, "email"},
			{"bad email", func(c jwt.MapClaims) { c["email"] = "jane" }, "email"},
			{"no name", func(c jwt.MapClaims) { c["name"] = "  " }, "name"},
			{"control characters", func(c jwt.MapClaims) { c["name"] = "Jane\x00" }, "name"},
			{"long business name", func(c jwt.MapClaims) { c["business_name"] = strings.Repeat("b", 201) }, "business_name"},
			{"javascript logout URL", func(c jwt.MapClaims) { c["logout_redirect_url"] = "javascript:alert(1)" }, "logout_redirect_url"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.clock.Add(time.Second)
				email := "user" + strconv.Itoa(int(b.clock.Now().Unix())) + "@example.com"
				_, err := b.svc.Signup(context.Background(), b.mint(t, keyA, func(c jwt.MapClaims) {
					c["email"] = email
					tc.edit(c)
				}))
				if tc.field == "" {
					if err != nil {
						t.Fatalf("Signup: %v", err)
					}
					return
				}
				details := vidivo.ErrorDetails(err)
				if vidivo.ErrorCode(err) != vidivo.EVALIDATION || len(details) != 1 || details[0].Field != tc.field {
					t.Fatalf("Signup = %v %v; want validation_error on %s", err, details, tc.field)
				}
			})
		}
	})
}

func TestServiceLogin(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if _, err := b.svc.Signup(ctx, b.mint(t, keyA, nil)); err != nil {
			t.Fatal(err)
		}
		b.clock.Add(time.Minute)
		login := func(key, iss, email string) string {
			b.clock.Add(time.Second)
			return b.mint(t, key, func(c jwt.MapClaims) {
				c["iss"], c["email"], c["logout_redirect_url"] = iss, email, "https://xyz.com/bye"
				delete(c, "name")
				delete(c, "business_name")
				delete(c, "time_zone")
			})
		}
		raw := login(keyA, "abcd", "JANE@example.com")
		sess, err := b.svc.Login(ctx, raw)
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		if sess.User.Email != "jane@example.com" || sess.AccessToken == "" || sess.RefreshToken == "" {
			t.Errorf("session = %+v", sess)
		}
		if caller, err := b.svc.Auth.Authenticate(sess.AccessToken); err != nil || caller.Subject != sess.User.ID {
			t.Errorf("access token: %v %v", caller, err)
		}
		if dest, ok, err := b.svc.LogoutURL(ctx, sess.RefreshToken); err != nil || !ok || dest != "https://xyz.com/bye" {
			t.Errorf("LogoutURL = %q %v %v", dest, ok, err)
		}
		// The session's rotated token keeps the logout URL (same family).
		next, err := b.svc.Auth.Refresh(ctx, sess.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if dest, ok, _ := b.svc.LogoutURL(ctx, next.RefreshToken); !ok || dest != "https://xyz.com/bye" {
			t.Errorf("LogoutURL after rotation = %q %v", dest, ok)
		}
		if _, err := b.svc.Login(ctx, raw); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
			t.Errorf("replayed login = %v", err)
		}
		for name, raw := range map[string]string{
			"unknown email": login(keyA, "abcd", "nobody@example.com"),
			"other issuer":  login(keyB, "other", "jane@example.com"),
		} {
			if _, err := b.svc.Login(ctx, raw); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
				t.Errorf("%s: Login = %v; want not_found", name, err)
			}
		}
		// A password session has no partner logout URL.
		if _, ok, err := b.svc.LogoutURL(ctx, "not-a-session"); ok || err != nil {
			t.Errorf("LogoutURL of no session = %v %v", ok, err)
		}
		b.clock.Add(20 * time.Minute)
		if _, err := b.svc.Login(ctx, raw); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED || !strings.Contains(vidivo.ErrorMessage(err), "expired") {
			t.Errorf("expired login = %v", err)
		}
	})
}

// TestServiceReplayRace: many instances accepting one token at once; the
// database lets exactly one through.
func TestServiceReplayRace(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		raw := b.mint(t, keyA, nil)
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := b.svc.Signup(context.Background(), raw)
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch vidivo.ErrorCode(err) {
			case "":
				ok++
			case vidivo.EUNAUTHORIZED:
			default:
				t.Errorf("racing sign-up: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d sign-ups with one token succeeded, want 1", ok)
		}
	})
}
