package api

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// pageToken is a scheduled-event list's page_token: the key of the row a
// page continues from, the direction, and the list it belongs to (scope
// and filters). Signed as cursors are, so a forged or edited token is
// refused instead of steering a query.
type pageToken struct {
	Scope    string
	Key      vidivo.EventKey
	Backward bool
}

type pageTokenJSON struct {
	Scope    string `json:"s"`
	Start    string `json:"t"`
	ID       string `json:"i"`
	Backward bool   `json:"b,omitempty"`
}

func (s *Server) encodePageToken(t pageToken) string {
	payload, _ := json.Marshal(pageTokenJSON{Scope: t.Scope, Start: t.Key.StartsAt.UTC().Format(time.RFC3339Nano),
		ID: t.Key.ID, Backward: t.Backward})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.cursorMAC("events:"+p))
}

// decodePageToken returns false for anything encodePageToken did not make.
func (s *Server) decodePageToken(raw string) (pageToken, bool) {
	p, sig, ok := strings.Cut(raw, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, s.cursorMAC("events:"+p)) {
		return pageToken{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	var j pageTokenJSON
	if err != nil || json.Unmarshal(payload, &j) != nil || !vidivo.IsID(j.ID) {
		return pageToken{}, false
	}
	start, err := time.Parse(time.RFC3339Nano, j.Start)
	if err != nil {
		return pageToken{}, false
	}
	return pageToken{Scope: j.Scope, Key: vidivo.EventKey{StartsAt: start.UTC(), ID: j.ID}, Backward: j.Backward}, true
}
