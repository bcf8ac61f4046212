package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// ssoUse is the use of a token named name, expiring in ttl.
func (b *bundle) ssoUse(name string, ttl time.Duration) vidivo.SSOTokenUse {
	sum := sha256.Sum256([]byte(name))
	return vidivo.SSOTokenUse{Hash: hex.EncodeToString(sum[:]), Issuer: "abcd", ExpiresAt: b.clock.Now().Add(ttl)}
}

func (b *bundle) newRefresh(t *testing.T) (string, *vidivo.RefreshToken) {
	t.Helper()
	plain, hash, err := token.NewRefresh()
	if err != nil {
		t.Fatal(err)
	}
	return plain, &vidivo.RefreshToken{Hash: hash, ExpiresAt: b.clock.Now().Add(24 * time.Hour)}
}

// testSSO: partner accounts, single-use tokens (swept once expired), and
// sessions that remember their logout URL; a refused change writes
// nothing, not even the token's use.
func testSSO(t *testing.T, engine string) {
	t.Parallel()
	b, ctx := setup(t, engine), context.Background()
	acct := vidivo.SSOAccount{Issuer: "abcd", BusinessName: "Jane's Studio"}
	u := &vidivo.User{Email: "jane@example.com", Username: "jane", DisplayName: "Jane", Role: vidivo.RoleHost, Timezone: "America/New_York"}
	signup := b.ssoUse("signup", 15*time.Minute)
	if err := b.db.CreateSSOUser(ctx, u, "hash", acct, signup); err != nil {
		t.Fatalf("CreateSSOUser: %v", err)
	}
	if !vidivo.IsID(u.ID) {
		t.Errorf("id = %q", u.ID)
	}
	again := &vidivo.User{Email: "other@example.com", Username: "other", DisplayName: "O", Role: vidivo.RoleHost, Timezone: "UTC"}
	wantCode(t, b.db.CreateSSOUser(ctx, again, "hash", acct, signup), vidivo.EUNAUTHORIZED)

	// A taken email: refused, and the token stays unspent.
	taken := &vidivo.User{Email: "jane@example.com", Username: "jane2", DisplayName: "J", Role: vidivo.RoleHost, Timezone: "UTC"}
	second := b.ssoUse("second", 15*time.Minute)
	wantCode(t, b.db.CreateSSOUser(ctx, taken, "hash", acct, second), vidivo.ECONFLICT)
	if err := b.db.CreateSSOUser(ctx, again, "hash", acct, second); err != nil {
		t.Fatalf("the token of a refused sign-up was spent: %v", err)
	}

	// Login: only the issuer that made the account, only once.
	_, rt := b.newRefresh(t)
	_, err := b.db.StartSSOSession(ctx, b.ssoUse("login other", time.Minute), "other", "jane@example.com", rt, "https://x.example/")
	wantCode(t, err, vidivo.ENOTFOUND)
	plain, rt := b.newRefresh(t)
	login := b.ssoUse("login", time.Minute)
	got, err := b.db.StartSSOSession(ctx, login, "abcd", "jane@example.com", rt, "https://xyz.com/bye")
	if err != nil {
		t.Fatalf("StartSSOSession: %v", err)
	}
	if got.ID != u.ID || rt.UserID != u.ID || rt.FamilyID == "" {
		t.Errorf("session of %+v, token %+v", got, rt)
	}
	_, rt2 := b.newRefresh(t)
	_, err = b.db.StartSSOSession(ctx, login, "abcd", "jane@example.com", rt2, "")
	wantCode(t, err, vidivo.EUNAUTHORIZED)
	if dest, err := b.db.SSOLogoutURL(ctx, token.HashRefresh(plain)); err != nil || dest != "https://xyz.com/bye" {
		t.Errorf("SSOLogoutURL = %q, %v", dest, err)
	}
	_, err = b.db.SSOLogoutURL(ctx, token.HashRefresh("no such token"))
	wantCode(t, err, vidivo.ENOTFOUND)

	// Once expired, a use is swept by the next one: the same hash fits
	// again (Verify refuses an expired token before the store sees it).
	b.clock.Add(2 * time.Minute)
	_, rt3 := b.newRefresh(t)
	if _, err := b.db.StartSSOSession(ctx, b.ssoUse("sweeper", time.Minute), "abcd", "jane@example.com", rt3, ""); err != nil {
		t.Fatal(err)
	}
	_, rt4 := b.newRefresh(t)
	if _, err := b.db.StartSSOSession(ctx, login, "abcd", "jane@example.com", rt4, ""); err != nil {
		t.Errorf("an expired use was not swept: %v", err)
	}
}
