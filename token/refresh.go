package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// RefreshPrefix starts every refresh token, so they are recognisable in
// logs and secret scanners.
const RefreshPrefix = "rt_"

// NewRefresh returns a new opaque refresh token and the hash to store for it.
// plain is "rt_" followed by 32 crypto-random bytes in base64url without
// padding; it goes to the client only. hash is HashRefresh(plain); storage
// keeps only the hash.
func NewRefresh() (plain, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("token: refresh token: %w", err)
	}
	plain = RefreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, HashRefresh(plain), nil
}

// HashRefresh returns the lowercase hex SHA-256 of plain: the value storage
// keeps and looks refresh tokens up by. A fast hash suffices because the
// token has 256 bits of entropy.
func HashRefresh(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}
