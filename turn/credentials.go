// Package turn mints TURN credentials in the coturn REST scheme
// (use-auth-secret), which the embedded TURN server and an external coturn
// with the same secret both accept.
package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"
)

// DefaultTTL is how long minted credentials may be used to create
// allocations: about as long as a signaling token (5 minutes to connect)
// plus the guest's wait for the host (5 minutes until a no-show), so that
// credentials handed out with a join are dead soon after, not for a day.
// An allocation created in time keeps working past it (see Server); a
// reconnect gets fresh credentials with its fresh signaling token
// (POST /v1/calls/{id}/signaling-token).
const DefaultTTL = 10 * time.Minute

// Credentials are what a WebRTC peer needs to use the TURN server.
type Credentials struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

// Minter mints credentials for participants.
type Minter struct {
	Secret []byte
	URLs   []string
	// TTL is the credentials' lifetime; zero means DefaultTTL.
	TTL time.Duration
}

// Mint returns credentials for participant valid until now + TTL:
// username "<expiry unix>:<participant>", credential
// base64(HMAC-SHA1(secret, username)).
func (m *Minter) Mint(participant string, now time.Time) Credentials {
	ttl := m.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	user := strconv.FormatInt(now.Add(ttl).Unix(), 10) + ":" + participant
	mac := hmac.New(sha1.New, m.Secret)
	mac.Write([]byte(user))
	return Credentials{URLs: m.URLs, Username: user, Credential: base64.StdEncoding.EncodeToString(mac.Sum(nil))}
}
