package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Cursors are opaque to clients and signed, so a tampered or forged cursor
// is refused instead of steering a query. Each names the last item of a
// page and is bound to the one host whose list it pages.
type cursor struct {
	Before string `json:"b"`
	HostID string `json:"h"`
}

const cursorMACLen = 16

func (s *Server) encodeCursor(c cursor) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.cursorMAC(p))
}

// decodeCursor returns false for anything that was not made by
// encodeCursor for hostID.
func (s *Server) decodeCursor(raw, hostID string) (cursor, bool) {
	p, sig, ok := strings.Cut(raw, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, s.cursorMAC(p)) {
		return cursor{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	var c cursor
	if err != nil || json.Unmarshal(payload, &c) != nil || c.HostID != hostID || c.Before == "" {
		return cursor{}, false
	}
	return c, true
}

func (s *Server) cursorMAC(payload string) []byte {
	m := hmac.New(sha256.New, s.CursorKey)
	m.Write([]byte(payload))
	return m.Sum(nil)[:cursorMACLen]
}
