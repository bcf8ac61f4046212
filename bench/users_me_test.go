// Package bench holds Vidivo's HTTP benchmarks. BenchmarkUsersMe drives
// GET /v1/users/me through api.Server.ServeHTTP in process (no sockets), so
// it can be CPU-profiled; bench/run.sh measures the real binary over HTTP.
//
//	go test ./bench -run '^$' -bench UsersMe -cpuprofile cpu.out
//	go tool pprof -top bench.test cpu.out
//
// PostgreSQL is included when VIDIVO_TEST_DATABASE_URL is set.
package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/bench/internal/bare"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/token"
)

// parallelism × GOMAXPROCS goroutines issue requests, like run.sh's 32
// connections on this 2-core machine.
const parallelism = 16

// BenchmarkUsersMe has, per engine:
//
//   - vidivo-nolog: the api.Server of apitest (access log discarded before
//     formatting, as slog.DiscardHandler does)
//   - vidivo-info: the same server logging like `vidivo serve` at the default
//     info level (JSON handler wrapped in api.LogHandler), to io.Discard
//   - baseline: the bare handler of bench/internal/bare on the same engine
func BenchmarkUsersMe(b *testing.B) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			env := apitest.New(b, engine, nil)
			tok := signup(b, env)

			b.Run("vidivo-nolog", func(b *testing.B) {
				env.Server.Logger = slog.New(slog.DiscardHandler)
				drive(b, env.Server, tok)
			})
			b.Run("vidivo-info", func(b *testing.B) {
				h := slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})
				env.Server.Logger = slog.New(api.LogHandler{Handler: h})
				drive(b, env.Server, tok)
			})
			b.Run("baseline", func(b *testing.B) {
				h, tok := baseline(b, engine)
				drive(b, h, tok)
			})
		})
	}
}

// drive sends GET /v1/users/me with tok to h from parallel goroutines and
// reports the throughput.
func drive(b *testing.B, h http.Handler, tok string) {
	b.Helper()
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// One request per goroutine, reused: neither handler mutates it.
		req := httptest.NewRequest(http.MethodGet, "/v1/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.RemoteAddr = "127.0.0.1:40000"
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// signup creates a client account through the API and returns its access
// token.
func signup(b *testing.B, env *apitest.Env) string {
	b.Helper()
	resp := env.Do(apitest.Req{Method: http.MethodPost, Path: "/v1/auth/signup", Body: map[string]string{
		"email": "bench@example.com", "password": "correct-horse-battery", "username": "bench",
		"display_name": "Bench User", "role": "client",
	}})
	resp.WantStatus(b, http.StatusCreated)
	var s struct {
		AccessToken string `json:"access_token"`
	}
	resp.Decode(b, &s)
	return s.AccessToken
}

// baseline returns the bare handler on a fresh migrated database of engine
// holding one user, and an access token for that user signed, as Vidivo
// signs, with a fresh RSA-2048 key the handler verifies with.
func baseline(b *testing.B, engine string) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	url := sqldbtest.URL(b, engine)
	sdb, err := sqldb.Open(ctx, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	u := &vidivo.User{Email: "bench@example.com", Username: "bench", DisplayName: "Bench User", Role: vidivo.RoleClient}
	if err := sdb.CreateUser(ctx, u, "not-a-real-hash", nil); err != nil {
		b.Fatal(err)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := token.LoadKeySet("", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	if err != nil {
		b.Fatal(err)
	}
	issuer := &token.Issuer{Keys: keys, Issuer: apitest.Issuer, Audience: apitest.Audience, TTL: time.Hour}
	tok, _, err := issuer.Issue(vidivo.Caller{Subject: u.ID, Role: u.Role})
	if err != nil {
		b.Fatal(err)
	}

	db, eng, err := bare.Open(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	h := bare.NewHandler(db, eng, &key.PublicKey, apitest.Issuer, apitest.Audience)

	// Check the handler answers like Vidivo before timing it.
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(w, req)
	var got struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil || got.User.ID != u.ID {
		b.Fatalf("baseline answered %d %s", w.Code, w.Body)
	}
	return h, tok
}
