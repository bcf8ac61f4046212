package token_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/token"
)

func TestNewRefresh(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		plain, hash, err := token.NewRefresh()
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(plain, "rt_")
		if !ok {
			t.Fatalf("refresh token %q lacks the rt_ prefix", plain)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
		if err != nil || len(raw) != 32 {
			t.Fatalf("refresh token body %q is not base64url of 32 bytes (%d bytes, %v)", body, len(raw), err)
		}
		sum := sha256.Sum256([]byte(plain))
		if want := hex.EncodeToString(sum[:]); hash != want {
			t.Fatalf("hash = %q, want hex SHA-256 of the plain token %q", hash, want)
		}
		if hash != token.HashRefresh(plain) {
			t.Fatal("NewRefresh hash differs from HashRefresh(plain)")
		}
		if seen[plain] {
			t.Fatalf("refresh token %q repeated", plain)
		}
		seen[plain] = true
	}
}

func TestHashRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plain string
		want  string
	}{
		// echo -n "" | sha256sum
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		// echo -n "rt_abc" | sha256sum
		{"short", "rt_abc", sha256Hex("rt_abc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := token.HashRefresh(tt.plain); got != tt.want {
				t.Errorf("HashRefresh(%q) = %q, want %q", tt.plain, got, tt.want)
			}
		})
	}
	if token.HashRefresh("rt_a") == token.HashRefresh("rt_b") {
		t.Error("different tokens hash the same")
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
