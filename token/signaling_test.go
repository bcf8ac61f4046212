package token_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

func TestSignalingTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 14, 0, 0, 0, time.UTC)
	m := &token.SignalingMinter{Secret: []byte("secret"), Now: func() time.Time { return now }}
	tok := m.Mint("call-1", "guest-1", "guest")
	if !strings.HasPrefix(tok, "st_") {
		t.Fatalf("token %q lacks the st_ prefix", tok)
	}
	got, err := m.Verify(tok)
	if err != nil || got.CallID != "call-1" || got.Participant != "guest-1" || got.Role != "guest" {
		t.Fatalf("Verify = %+v, %v", got, err)
	}

	other := &token.SignalingMinter{Secret: []byte("other"), Now: m.Now}
	body, sig, _ := strings.Cut(strings.TrimPrefix(tok, "st_"), ".")
	forged := other.Mint("call-2", "guest-1", "host")
	_, forgedSig, _ := strings.Cut(forged, ".")
	for name, bad := range map[string]string{
		"other secret": forged,
		"swapped body": "st_" + strings.TrimPrefix(strings.Split(forged, ".")[0], "st_") + "." + sig,
		"swapped sig":  "st_" + body + "." + forgedSig,
		"no prefix":    strings.TrimPrefix(tok, "st_"),
		"empty":        "",
		"truncated":    tok[:len(tok)-3],
		"access token": "eyJhbGciOiJSUzI1NiJ9.e30.x",
		"oversized":    "st_" + strings.Repeat("a", 2000) + "." + sig,
	} {
		if _, err := m.Verify(bad); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
			t.Errorf("%s: Verify = %v, want unauthorized", name, err)
		}
	}
	later := &token.SignalingMinter{Secret: m.Secret, Now: func() time.Time { return now.Add(token.SignalingTTL) }}
	if _, err := later.Verify(tok); err == nil {
		t.Error("a token is accepted after its 5 minutes")
	}
}
