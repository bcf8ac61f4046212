package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/password"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
	"github.com/vidivo/vidivo/token"
)

var (
	keysOnce sync.Once
	keys     *token.KeySet
	keysErr  error
)

type bundle struct {
	svc   *auth.Service
	clock *testclock.Clock
}

// setup builds the accounts service on a real store of engine, with real
// argon2id at small parameters.
func setup(t *testing.T, engine string) *bundle {
	t.Helper()
	keysOnce.Do(func() { keys, keysErr = token.GenerateKeySet() })
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	db := sqldbtest.New(t, engine)
	db.Now = clk.Now
	svc := &auth.Service{
		Users:  db,
		Tokens: &token.Issuer{Keys: keys, Issuer: "https://vidivo.test", Audience: "vidivo", TTL: 15 * time.Minute, Now: clk.Now},
		Hasher: password.Hasher{Params: password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		Now:    clk.Now,
	}
	return &bundle{svc: svc, clock: clk}
}

func forEngine(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, engine))
		})
	}
}

func jane() vidivo.Signup {
	return vidivo.Signup{Email: " Jane@Example.com ", Password: "correct horse battery", Username: "JaneCoach",
		DisplayName: "Jane Smith", Role: vidivo.RoleHost}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vidivo.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestSignupStartsASession(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		if s.User.Email != "jane@example.com" || s.User.Username != "janecoach" || s.User.Timezone != "UTC" {
			t.Errorf("user = %+v, want normalized email and username, UTC", s.User)
		}
		caller, err := b.svc.Authenticate(s.AccessToken)
		if err != nil || caller.Subject != s.User.ID || caller.Role != vidivo.RoleHost {
			t.Errorf("Authenticate(access token) = %+v, %v; want the new host", caller, err)
		}
		if s.ExpiresIn != 15*time.Minute {
			t.Errorf("expires in %v, want 15m", s.ExpiresIn)
		}

		// The same email or username, in any case, is taken.
		again := jane()
		again.Username = "other"
		_, err = b.svc.Signup(ctx, again)
		wantCode(t, err, vidivo.ECONFLICT)
		again = jane()
		again.Email = "other@example.com"
		_, err = b.svc.Signup(ctx, again)
		wantCode(t, err, vidivo.ECONFLICT)
	})
}

func TestSignupRoles(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		admin := jane()
		admin.Role = vidivo.RoleAdmin
		_, err := b.svc.Signup(ctx, admin)
		wantCode(t, err, vidivo.EVALIDATION) // admins are made by operators
		u, err := b.svc.CreateAccount(ctx, admin)
		if err != nil || u.Role != vidivo.RoleAdmin {
			t.Fatalf("CreateAccount(admin) = %+v, %v", u, err)
		}
		bad := jane()
		bad.Email, bad.Password = "not an email", "short"
		_, err = b.svc.Signup(ctx, bad)
		wantCode(t, err, vidivo.EVALIDATION)
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		first, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		for _, login := range []string{"jane@example.com", "JANE@example.com", "janecoach", " JaneCoach "} {
			s, err := b.svc.Login(ctx, login, "correct horse battery")
			if err != nil || s.User.ID != first.User.ID || s.RefreshToken == first.RefreshToken {
				t.Errorf("Login(%q) = %v; want Jane with a session of its own", login, err)
			}
		}
		// A wrong password and an unknown account answer alike.
		_, err = b.svc.Login(ctx, "jane@example.com", "wrong horse battery")
		wantCode(t, err, vidivo.EUNAUTHORIZED)
		_, errUnknown := b.svc.Login(ctx, "nobody@example.com", "correct horse battery")
		wantCode(t, errUnknown, vidivo.EUNAUTHORIZED)
		if err.Error() != errUnknown.Error() {
			t.Errorf("wrong password says %q, unknown account %q: they must not differ", err, errUnknown)
		}
	})
}

func TestRefreshRotatesAndReuseRevokes(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s0, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		s1, err := b.svc.Refresh(ctx, s0.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if s1.RefreshToken == s0.RefreshToken || s1.User.ID != s0.User.ID {
			t.Fatalf("refresh returned %+v; want a new token for the same user", s1)
		}
		// The rotated token used again: a thief's copy. The whole
		// session ends, the legitimate newest token included.
		_, err = b.svc.Refresh(ctx, s0.RefreshToken)
		wantCode(t, err, vidivo.EUNAUTHORIZED)
		_, err = b.svc.Refresh(ctx, s1.RefreshToken)
		wantCode(t, err, vidivo.EUNAUTHORIZED)

		// Another session of the same user is untouched.
		other, err := b.svc.Login(ctx, "janecoach", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Refresh(ctx, other.RefreshToken); err != nil {
			t.Errorf("refresh of another session after a reuse: %v", err)
		}
		_, err = b.svc.Refresh(ctx, "rt_not-a-token")
		wantCode(t, err, vidivo.EUNAUTHORIZED)
	})
}

func TestRefreshExpires(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Add(auth.DefaultRefreshTTL + time.Minute)
		_, err = b.svc.Refresh(ctx, s.RefreshToken)
		wantCode(t, err, vidivo.EUNAUTHORIZED)
		// The access token has long expired too.
		if _, err := b.svc.Authenticate(s.AccessToken); err == nil {
			t.Error("an access token a month old still authenticates")
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		jane, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		alex, err := b.svc.Signup(ctx, vidivo.Signup{Email: "alex@example.com", Password: "another good password",
			Username: "alex", DisplayName: "Alex", Role: vidivo.RoleClient})
		if err != nil {
			t.Fatal(err)
		}
		// Alex cannot end Jane's session with her token.
		if err := b.svc.Logout(ctx, vidivo.Caller{Subject: alex.User.ID}, jane.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Refresh(ctx, jane.RefreshToken); err != nil {
			t.Fatalf("Jane's session after Alex's logout with her token: %v", err)
		}
		fresh, err := b.svc.Login(ctx, "janecoach", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Logout(ctx, vidivo.Caller{Subject: jane.User.ID}, fresh.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Refresh(ctx, fresh.RefreshToken)
		wantCode(t, err, vidivo.EUNAUTHORIZED)
	})
}
