package turn_test

import (
	"testing"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// TestMint checks the coturn REST scheme against a value computed by hand:
// printf '1710090000:01JN2X6M0P5H9SRBTXY8ZDKEFG' | openssl dgst -sha1 -hmac secret -binary | base64
func TestMint(t *testing.T) {
	t.Parallel()
	m := &turn.Minter{Secret: []byte("secret"), URLs: []string{"turn:turn.vidivo.app:3478"}, TTL: time.Hour}
	c := m.Mint("01JN2X6M0P5H9SRBTXY8ZDKEFG", time.Unix(1710090000, 0).Add(-time.Hour))
	if c.Username != "1710090000:01JN2X6M0P5H9SRBTXY8ZDKEFG" {
		t.Errorf("username = %q", c.Username)
	}
	if c.Credential != "ibLNpyVgZeVlY8V1cQa9oApbY3w=" {
		t.Errorf("credential = %q", c.Credential)
	}
	if len(c.URLs) != 1 {
		t.Errorf("urls = %v", c.URLs)
	}
}
