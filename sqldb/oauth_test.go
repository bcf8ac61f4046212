package sqldb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// TestSweepOAuth: the sweep deletes codes and access tokens expired for
// more than a day and refresh tokens of families with no usable refresh
// token left; it keeps what expired less than a day ago and the used
// refresh tokens of a living family, whose replay still revokes it (both
// engines).
func TestSweepOAuth(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := sqldbtest.New(t, engine)
			now := time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)
			user := storetest.MustCreateUser(t, db, "appuser", vidivo.RoleHost)
			app := &oauth.App{UserID: user.ID, Name: "App", ClientType: oauth.Public,
				RedirectURIs: []string{"https://app.example/cb"}, Scopes: oauth.Scopes{"users:read"}}
			if err := db.CreateOAuthApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			s := &sweepFixture{t: t, ctx: ctx, db: db, app: app, user: user.ID}

			// Family A: its code and access token expired 25 hours ago; its
			// first refresh token was used and expired 25 hours ago too,
			// but its successor lives.
			s.code("codeA", now.Add(-25*time.Hour))
			s.redeem("codeA", now.Add(-91*24*time.Hour), s.tok("accessA", oauth.KindAccess, now.Add(-25*time.Hour)),
				s.tok("refreshA1", oauth.KindRefresh, now.Add(-25*time.Hour)))
			s.rotate("refreshA1", now.Add(-30*24*time.Hour), s.tok("refreshA2", oauth.KindRefresh, now.Add(60*24*time.Hour)))
			// Family B: its code expired 23 hours ago (kept); its refresh
			// token expired 25 hours ago unused (gone), its access token
			// 23 hours ago (kept).
			s.code("codeB", now.Add(-23*time.Hour))
			s.redeem("codeB", now.Add(-24*time.Hour), s.tok("accessB", oauth.KindAccess, now.Add(-23*time.Hour)),
				s.tok("refreshB", oauth.KindRefresh, now.Add(-25*time.Hour)))
			// Family C: its used refresh token expired long ago and its
			// successor lives but was revoked: nothing left to protect.
			s.code("codeC", now.Add(-90*24*time.Hour))
			s.redeem("codeC", now.Add(-95*24*time.Hour), s.tok("refreshC1", oauth.KindRefresh, now.Add(-2*24*time.Hour)))
			s.rotate("refreshC1", now.Add(-3*24*time.Hour), s.tok("refreshC2", oauth.KindRefresh, now.Add(80*24*time.Hour)))
			if err := db.RevokeFamily(ctx, s.family("refreshC2"), now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			// Family D: its access token expired exactly a day ago, the
			// edge, and stays; its code expired 90 days ago (gone).
			s.code("codeD", now.Add(-90*24*time.Hour))
			s.redeem("codeD", now.Add(-91*24*time.Hour), s.tok("accessD", oauth.KindAccess, now.Add(-oauth.SweepAfter)))
			// An unexpired, unused code stays.
			s.code("codeE", now.Add(time.Minute))

			n, err := db.SweepOAuth(ctx, now.Add(-oauth.SweepAfter), now)
			if err != nil {
				t.Fatal(err)
			}
			gone := []string{"codeA", "accessA", "refreshB", "codeC", "refreshC1", "codeD"}
			kept := []string{"refreshA1", "refreshA2", "codeB", "accessB", "refreshC2", "accessD", "codeE"}
			for _, k := range gone {
				if s.exists(k) {
					t.Errorf("%s survived the sweep", k)
				}
			}
			for _, k := range kept {
				if !s.exists(k) {
					t.Errorf("%s was swept", k)
				}
			}
			if n != int64(len(gone)) {
				t.Errorf("the sweep reports %d rows, want %d", n, len(gone))
			}
			// The kept used token is still reuse: replaying it revokes A2.
			err = db.RotateRefresh(ctx, oauth.Hash("refreshA1"), now, []*oauth.Token{s.tok("refreshA3", oauth.KindRefresh, now.Add(time.Hour))})
			if !errors.Is(err, oauth.ErrReused) {
				t.Fatalf("replaying refreshA1 after the sweep: %v, want reuse", err)
			}
			if a2, err := db.TokenByHash(ctx, oauth.Hash("refreshA2")); err != nil || a2.RevokedAt == nil {
				t.Fatalf("refreshA2 after the replay: %+v, %v; want revoked", a2, err)
			}
			// Family A is revoked now, so the next sweep takes refreshA1.
			if n, err := db.SweepOAuth(ctx, now.Add(-oauth.SweepAfter), now); err != nil || n != 1 || s.exists("refreshA1") {
				t.Fatalf("second sweep: %d rows, %v; refreshA1 stored: %v", n, err, s.exists("refreshA1"))
			}
		})
	}
}

type sweepFixture struct {
	t    *testing.T
	ctx  context.Context
	db   *sqldb.DB
	app  *oauth.App
	user string
}

// code grants a code named name, expiring at exp.
func (s *sweepFixture) code(name string, exp time.Time) {
	s.t.Helper()
	g := &oauth.Grant{UserID: s.user, AppID: s.app.ID, Scopes: s.app.Scopes, Code: &oauth.Code{Hash: oauth.Hash(name),
		RedirectURI: s.app.RedirectURIs[0], Scopes: s.app.Scopes, Challenge: strings.Repeat("c", 43),
		CreatedAt: exp.Add(-oauth.CodeTTL), ExpiresAt: exp}}
	if err := s.db.Grant(s.ctx, g); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sweepFixture) authID() string {
	s.t.Helper()
	list, err := s.db.OAuthAuthorizations(s.ctx, s.user)
	if err != nil || len(list) != 1 {
		s.t.Fatalf("authorizations: %v, %v", list, err)
	}
	return list[0].ID
}

func (s *sweepFixture) tok(name, kind string, exp time.Time) *oauth.Token {
	return &oauth.Token{Hash: oauth.Hash(name), Kind: kind, AuthorizationID: s.authID(), Scopes: s.app.Scopes, ExpiresAt: exp}
}

func (s *sweepFixture) redeem(code string, at time.Time, tokens ...*oauth.Token) {
	s.t.Helper()
	if err := s.db.RedeemCode(s.ctx, oauth.Hash(code), at, tokens); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sweepFixture) rotate(refresh string, at time.Time, next ...*oauth.Token) {
	s.t.Helper()
	if err := s.db.RotateRefresh(s.ctx, oauth.Hash(refresh), at, next); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sweepFixture) family(token string) string {
	s.t.Helper()
	tk, err := s.db.TokenByHash(s.ctx, oauth.Hash(token))
	if err != nil {
		s.t.Fatal(err)
	}
	return tk.FamilyID
}

// exists answers whether the code or token named name is still stored.
func (s *sweepFixture) exists(name string) bool {
	s.t.Helper()
	var err error
	if strings.HasPrefix(name, "code") {
		_, err = s.db.CodeByHash(s.ctx, oauth.Hash(name))
	} else {
		_, err = s.db.TokenByHash(s.ctx, oauth.Hash(name))
	}
	if err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
		s.t.Fatal(err)
	}
	return err == nil
}
