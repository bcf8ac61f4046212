package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// TestOAuthSweepJob runs River for real: the periodic sweep, run at start,
// deletes a code expired two days ago and keeps one that is still valid
// (both engines).
func TestOAuthSweepJob(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := sqldbtest.URL(t, engine)
			pool := jobPool(t, url)
			db := sqldbtest.Open(t, url, nil)
			user := storetest.MustCreateUser(t, db, "appuser", vidivo.RoleHost)
			app := &oauth.App{UserID: user.ID, Name: "App", ClientType: oauth.Public,
				RedirectURIs: []string{"https://app.example/cb"}, Scopes: oauth.Scopes{"users:read"}}
			if err := db.CreateOAuthApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for name, exp := range map[string]time.Time{"old": now.Add(-48 * time.Hour), "fresh": now.Add(time.Minute)} {
				if err := db.Grant(ctx, &oauth.Grant{UserID: user.ID, AppID: app.ID, Scopes: app.Scopes, Code: &oauth.Code{
					Hash: oauth.Hash(name), RedirectURI: app.RedirectURIs[0], Scopes: app.Scopes,
					Challenge: strings.Repeat("c", 43), CreatedAt: exp.Add(-oauth.CodeTTL), ExpiresAt: exp}}); err != nil {
					t.Fatal(err)
				}
			}
			startRunner(t, jobs.Config{Engine: engine, Pool: pool, OAuth: &oauth.Service{Store: db}})
			deadline := time.Now().Add(20 * time.Second)
			for {
				_, err := db.CodeByHash(ctx, oauth.Hash("old"))
				if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the sweep never deleted the expired code: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if _, err := db.CodeByHash(ctx, oauth.Hash("fresh")); err != nil {
				t.Fatalf("the valid code was swept: %v", err)
			}
		})
	}
}
