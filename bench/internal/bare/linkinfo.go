package bare

import (
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The link-info baseline: GET /v1/calls/links/{code}/info, the public join
// page, written as one plain net/http handler. It runs the query Vidivo's
// sqldb.LinkWithHost runs (the same text, prepared once, as sqldb's
// statement cache does), applies the same visibility rule (404 deleted, 410
// expired or exhausted), and encodes the same JSON body with the same
// Content-Type and Cache-Control headers. No request id, access log,
// metrics, recovery or error envelope.

// linkColumns and userColumns are sqldb's column lists (sqldb/link.go,
// sqldb/user.go), qualified with the table aliases as sqldb's prefixed does.
const (
	linkColumns = `l.id, l.short_code, l.host_id, l.rate_cents, l.window_minutes, l.expires_at, l.max_uses, l.use_count, ` +
		`l.label, l.scheduled_start, l.scheduled_end, l.deleted_at, l.created_at`
	userColumns = `u.id, u.email, u.username, u.display_name, u.avatar_url, u.role, u.timezone, u.created_at, ` +
		`u.payouts_connected, u.payout_account_id`
)

// LinkInfoQuery returns sqldb's linkWithHostQuery for engine: the link and
// its host in one JOIN by short code.
func LinkInfoQuery(engine string) string {
	q := `SELECT ` + linkColumns + `, ` + userColumns + `
	FROM links l JOIN users u ON u.id = l.host_id WHERE l.short_code = ?`
	if engine == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	return q
}

// LinkInfoHandler serves GET /v1/calls/links/{code}/info.
type LinkInfoHandler struct {
	stmt *sql.Stmt
}

// NewLinkInfoHandler prepares the query on db (of engine) once.
func NewLinkInfoHandler(db *sql.DB, engine string) (*LinkInfoHandler, error) {
	st, err := db.Prepare(LinkInfoQuery(engine))
	if err != nil {
		return nil, err
	}
	return &LinkInfoHandler{stmt: st}, nil
}

// Close releases the prepared statement.
func (h *LinkInfoHandler) Close() error { return h.stmt.Close() }

type linkInfoHost struct {
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Username    string  `json:"username"`
}

type linkInfo struct {
	ShortCode         string       `json:"short_code"`
	Host              linkInfoHost `json:"host"`
	RatePerMinute     string       `json:"rate_per_minute"`
	WindowSizeMinutes int          `json:"window_size_minutes"`
	IsActive          bool         `json:"is_active"`
}

func (h *LinkInfoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var (
		id, hostID, uID, email, role, tz string
		info                             linkInfo
		rate                             int64
		useCount                         int
		maxUses                          sql.NullInt64
		label, avatar, payoutAccount     sql.NullString
		payouts                          bool
		expires, start, end, deleted     any
		created, uCreated                any
	)
	err := h.stmt.QueryRowContext(r.Context(), r.PathValue("code")).Scan(
		&id, &info.ShortCode, &hostID, &rate, &info.WindowSizeMinutes, &expires, &maxUses, &useCount,
		&label, &start, &end, &deleted, &created,
		&uID, &email, &info.Host.Username, &info.Host.DisplayName, &avatar, &role, &tz, &uCreated,
		&payouts, &payoutAccount)
	if errors.Is(err, sql.ErrNoRows) {
		http.Error(w, "link not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// The visibility rule of vidivo.Link.State / ViewError.
	now := time.Now()
	switch {
	case deleted != nil:
		http.Error(w, "link not found", http.StatusNotFound)
		return
	case passed(expires, now), passed(end, now):
		http.Error(w, "this link has expired", http.StatusGone)
		return
	case maxUses.Valid && int64(useCount) >= maxUses.Int64:
		http.Error(w, "this link has reached its maximum number of uses", http.StatusGone)
		return
	}
	if avatar.Valid {
		info.Host.AvatarURL = &avatar.String
	}
	info.RatePerMinute = money(rate)
	info.IsActive = true
	body, err := json.Marshal(info)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// passed reports whether a nullable time column holds a time not after now.
// SQLite keeps times as RFC 3339 text, PostgreSQL returns time.Time.
func passed(v any, now time.Time) bool {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		pt, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return false
		}
		t = pt
	case []byte:
		pt, err := time.Parse(time.RFC3339Nano, string(x))
		if err != nil {
			return false
		}
		t = pt
	default:
		return false
	}
	return !now.Before(t)
}

// money formats cents as vidivo.Money does ("2.50").
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	s := strconv.FormatInt(cents/100, 10) + "."
	if cents%100 < 10 {
		s += "0"
	}
	return sign + s + strconv.FormatInt(cents%100, 10)
}
