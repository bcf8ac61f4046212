// Package bare is the benchmark baseline for GET /v1/users/me: the same work
// as Vidivo's route — verify an RS256 access token with golang-jwt/jwt/v5,
// read the caller's row with one SELECT through database/sql, encode it as
// JSON — written as one plain net/http handler with no middleware (no request
// id, access log, metrics, recovery or error envelope).
//
// It opens Vidivo's databases the way sqldb does (same drivers, SQLite DSN
// pragmas and pool sizes) and reads the users table Vidivo created, so the
// query is the one Vidivo runs.
package bare

import (
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	_ "modernc.org/sqlite"             // "sqlite" driver
)

// Open opens url ("sqlite:<path>" or "postgres://…") with sqldb's settings
// and returns the pool and the engine name.
func Open(dbURL string) (*sql.DB, string, error) {
	var db *sql.DB
	var err error
	switch {
	case strings.HasPrefix(dbURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, "", fmt.Errorf("sqlite database: %w", statErr)
		}
		// As sqldb.sqliteDSN: WAL, busy timeout, foreign keys, NORMAL sync,
		// BEGIN IMMEDIATE.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		if db, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode()); err != nil {
			return nil, "", err
		}
		// As sqldb's sqlite dialect.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(0)
		return db, "sqlite", db.Ping()
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		if db, err = sql.Open("pgx", dbURL); err != nil {
			return nil, "", err
		}
		// As sqldb's postgres dialect.
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		return db, "postgres", db.Ping()
	}
	return nil, "", errors.New(`database URL must start with "sqlite:" or "postgres://"`)
}

// Query returns the users-by-id query for engine; its text is sqldb's.
func Query(engine string) string {
	q := `SELECT id, email, username, display_name, avatar_url, role, timezone, created_at FROM users WHERE id = ?`
	if engine == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	return q
}

// Handler serves GET /v1/users/me.
type Handler struct {
	db     *sql.DB
	query  string
	key    *rsa.PublicKey
	parser *jwt.Parser
}

// NewHandler verifies tokens with key, requiring issuer and audience the way
// Vidivo's token.Issuer does, and reads users from db on engine.
func NewHandler(db *sql.DB, engine string, key *rsa.PublicKey, issuer, audience string) *Handler {
	return &Handler{
		db:    db,
		query: Query(engine),
		key:   key,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(5*time.Second),
			jwt.WithStrictDecoding(),
		),
	}
}

type claims struct {
	jwt.RegisteredClaims
	Role   string `json:"role"`
	CallID string `json:"call_id"`
}

type user struct {
	ID          string  `json:"id"`
	Email       string  `json:"email"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Role        string  `json:"role"`
	Timezone    string  `json:"timezone"`
	CreatedAt   string  `json:"created_at"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, "missing bearer token", http.StatusUnauthorized)
		return
	}
	var cl claims
	if _, err := h.parser.ParseWithClaims(tok, &cl, h.keyFunc); err != nil || cl.Subject == "" {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	var (
		u       user
		avatar  sql.NullString
		created any
	)
	err := h.db.QueryRowContext(r.Context(), h.query, cl.Subject).Scan(
		&u.ID, &u.Email, &u.Username, &u.DisplayName, &avatar, &u.Role, &u.Timezone, &created)
	if errors.Is(err, sql.ErrNoRows) {
		http.Error(w, "no such user", http.StatusUnauthorized)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if avatar.Valid {
		u.AvatarURL = &avatar.String
	}
	// SQLite keeps times as text, PostgreSQL returns time.Time.
	switch t := created.(type) {
	case time.Time:
		u.CreatedAt = t.UTC().Format(time.RFC3339)
	case string:
		if pt, err := time.Parse(time.RFC3339Nano, t); err == nil {
			u.CreatedAt = pt.UTC().Format(time.RFC3339)
		}
	}
	body, err := json.Marshal(struct {
		User user `json:"user"`
	}{u})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(body, '\n'))
}

func (h *Handler) keyFunc(*jwt.Token) (any, error) { return h.key, nil }

// LoadPublicKey reads an RSA key from a PEM file: a private key (PKCS#1 or
// PKCS#8, as Vidivo's jwt-signing-key.pem) or a public key.
func LoadPublicKey(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if priv, err := jwt.ParseRSAPrivateKeyFromPEM(data); err == nil {
		return &priv.PublicKey, nil
	}
	pub, err := jwt.ParseRSAPublicKeyFromPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: no RSA key in PEM: %w", path, err)
	}
	return pub, nil
}
