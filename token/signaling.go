package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	vidivo "github.com/vidivo/vidivo"
)

// SignalingTTL is how long a signaling token may be used to connect.
const SignalingTTL = 5 * time.Minute

// SignalingPrefix starts every signaling token.
const SignalingPrefix = "st_"

// Signaling is what a signaling token grants: one participant of one call
// may connect to the signaling relay until ExpiresAt.
type Signaling struct {
	CallID      string `json:"c"`
	Participant string `json:"p"`
	// Role is "host" or "guest".
	Role      string `json:"r"`
	ExpiresAt int64  `json:"e"`
	// Generation is the participant's join generation in a group session
	// (0 for calls): a later join makes tokens of earlier ones stale.
	Generation int64 `json:"g,omitempty"`
}

// SignalingMinter makes and checks signaling tokens: "st_" + the claims +
// an HMAC-SHA256 over them. They are short, opaque to clients, and useless
// for any other call or after they expire.
type SignalingMinter struct {
	Secret []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (m *SignalingMinter) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Mint issues a token for participant of callID in role.
func (m *SignalingMinter) Mint(callID, participant, role string) string {
	claims, _ := json.Marshal(Signaling{CallID: callID, Participant: participant, Role: role,
		ExpiresAt: m.now().Add(SignalingTTL).Unix()})
	body := base64.RawURLEncoding.EncodeToString(claims)
	return SignalingPrefix + body + "." + base64.RawURLEncoding.EncodeToString(m.mac(body))
}

// Verify checks a token's signature and expiry. Every failure is
// EUNAUTHORIZED with one message, so nothing about the call leaks.
func (m *SignalingMinter) Verify(tok string) (Signaling, error) {
	bad := vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid or expired signaling token")
	body, sig, ok := strings.Cut(strings.TrimPrefix(tok, SignalingPrefix), ".")
	if !ok || !strings.HasPrefix(tok, SignalingPrefix) || len(tok) > 1024 {
		return Signaling{}, bad
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.mac(body)) {
		return Signaling{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var s Signaling
	if err != nil || json.Unmarshal(raw, &s) != nil || s.CallID == "" || s.Participant == "" {
		return Signaling{}, bad
	}
	if m.now().Unix() >= s.ExpiresAt {
		return Signaling{}, bad
	}
	return s, nil
}

// MintGeneration issues a token for participant of a group session
// (room callID) at join generation gen.
func (m *SignalingMinter) MintGeneration(callID, participant, role string, gen int64) string {
	claims, _ := json.Marshal(Signaling{CallID: callID, Participant: participant, Role: role,
		ExpiresAt: m.now().Add(SignalingTTL).Unix(), Generation: gen})
	body := base64.RawURLEncoding.EncodeToString(claims)
	return SignalingPrefix + body + "." + base64.RawURLEncoding.EncodeToString(m.mac(body))
}

func (m *SignalingMinter) mac(body string) []byte {
	h := hmac.New(sha256.New, m.Secret)
	h.Write([]byte("signaling:" + body))
	return h.Sum(nil)
}
