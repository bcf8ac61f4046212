// Package webhook sends one webhook delivery: it signs the body in both
// conventions receivers know (Vidivo's own header and Standard Webhooks),
// validates callback URLs, and dials only public addresses unless an
// operator allows a range (the SSRF guard).
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	// HeaderSignature is Vidivo's own signature:
	// t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>." + body)>.
	HeaderSignature = "Vidivo-Webhook-Signature"
	// The Standard Webhooks headers (https://www.standardwebhooks.com).
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderStdSig    = "webhook-signature"
)

// KeyPrefix starts every signing key: a key is "whsec_" and the standard
// base64 of its bytes, as Standard Webhooks writes secrets. Both schemes
// sign with the decoded bytes, so one key verifies either header.
const KeyPrefix = "whsec_"

// Key sizes, in bytes.
const (
	KeyLen    = 32
	MinKeyLen = 24
	MaxKeyLen = 64
)

// Tolerance is how far a receiver should accept a signature's timestamp
// from its own clock, either way: older ones may be replays.
const Tolerance = 5 * time.Minute

// NewKey returns a fresh signing key of KeyLen random bytes.
func NewKey() string {
	b := make([]byte, KeyLen)
	rand.Read(b)
	return KeyPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrKey is a signing key not in the whsec_ form.
var ErrKey = errors.New(`must be "whsec_" followed by the base64 of 24 to 64 bytes`)

// KeyBytes decodes a signing key.
func KeyBytes(key string) ([]byte, error) {
	raw, ok := strings.CutPrefix(key, KeyPrefix)
	if !ok {
		return nil, ErrKey
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) < MinKeyLen || len(b) > MaxKeyLen {
		return nil, ErrKey
	}
	return b, nil
}

// Sign sets the signature headers of one attempt of delivery id at time
// at. key is a decoded signing key.
func Sign(h http.Header, key []byte, id string, at time.Time, body []byte) {
	t := strconv.FormatInt(at.Unix(), 10)
	h.Set(HeaderSignature, "t="+t+",v1="+hex.EncodeToString(mac(key, t, ".", string(body))))
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, t)
	h.Set(HeaderStdSig, "v1,"+base64.StdEncoding.EncodeToString(mac(key, id, ".", t, ".", string(body))))
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}
