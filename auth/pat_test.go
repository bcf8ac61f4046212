package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
)

// TestPATAuthenticate: a personal access token authenticates as its owner
// with the owner's current role until it expires (at ExpiresAt exactly)
// or is deleted; everything else about it is unauthorized.
func TestPATAuthenticate(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		sess, err := b.svc.Signup(ctx, jane())
		if err != nil {
			t.Fatal(err)
		}
		exp := b.clock.Now().Add(time.Hour)
		pat, plain, err := b.svc.CreatePAT(ctx, sess.User.ID, vidivo.PATCreate{Name: "ci", ExpiresAt: &exp})
		if err != nil {
			t.Fatalf("CreatePAT: %v", err)
		}
		if !auth.IsPAT(plain) || !strings.HasPrefix(plain, auth.PATPrefix) || pat.Hash != auth.HashPAT(plain) || pat.Hash == plain {
			t.Fatalf("token %q, stored %+v", plain, pat)
		}
		c, err := b.svc.AuthenticateContext(ctx, plain)
		if err != nil || c.Subject != sess.User.ID || c.Role != vidivo.RoleHost || c.IsGuest() {
			t.Fatalf("AuthenticateContext = %+v, %v", c, err)
		}
		// The context-free form, which pages and optional-token routes use.
		if c, err := b.svc.Authenticate(plain); err != nil || c.Subject != sess.User.ID {
			t.Fatalf("Authenticate = %+v, %v", c, err)
		}

		// The owner's role is read at each use.
		users := b.svc.Users
		if _, err := users.SetUserRole(ctx, sess.User.ID, vidivo.RoleClient); err != nil {
			t.Fatal(err)
		}
		if c, _ := b.svc.AuthenticateContext(ctx, plain); c.Role != vidivo.RoleClient {
			t.Errorf("role after demotion = %s", c.Role)
		}

		for name, tok := range map[string]string{
			"unknown":    auth.PATPrefix + strings.Repeat("A", 43),
			"truncated":  plain[:len(plain)-1],
			"other case": strings.ToUpper(plain[:8]) + plain[8:],
		} {
			if _, err := b.svc.AuthenticateContext(ctx, tok); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
				t.Errorf("%s token: err = %v, want unauthorized", name, err)
			}
		}

		b.clock.Add(time.Hour - time.Second)
		if _, err := b.svc.AuthenticateContext(ctx, plain); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		b.clock.Add(time.Second)
		if _, err := b.svc.AuthenticateContext(ctx, plain); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
			t.Fatalf("at expiry: err = %v, want unauthorized", err)
		}

		// Deleted: refused, and only its owner could delete it.
		other, _, err := b.svc.CreatePAT(ctx, sess.User.ID, vidivo.PATCreate{Name: "other"})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.svc.DeletePAT(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE", other.ID); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			t.Errorf("delete by someone else: %v", err)
		}
		if err := b.svc.DeletePAT(ctx, sess.User.ID, "nope"); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			t.Errorf("delete by a malformed id: %v", err)
		}
		if err := b.svc.DeletePAT(ctx, sess.User.ID, other.ID); err != nil {
			t.Fatalf("DeletePAT: %v", err)
		}
		list, err := b.svc.PATs(ctx, sess.User.ID)
		if err != nil || len(list) != 1 || list[0].ID != pat.ID {
			t.Errorf("PATs = %v, %v", list, err)
		}
	})
}
