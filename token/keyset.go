package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// rsaBits is the size of keys this package generates.
const rsaBits = 2048

// minRSABits is the smallest RSA key this package accepts for signing or
// verifying.
const minRSABits = 2048

// KeySet holds one or more RSA keys. The first key signs new tokens; every
// key verifies. A KeySet is immutable and safe for concurrent use.
type KeySet struct {
	signer  *rsa.PrivateKey
	signKID string
	// verify maps a kid to its public key.
	verify map[string]*rsa.PublicKey
	jwks   []byte
}

// GenerateKeySet returns a KeySet holding one fresh RSA-2048 key that lives
// only in memory.
func GenerateKeySet() (*KeySet, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("token: generate RSA key: %w", err)
	}
	ks, err := newKeySet(key)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return ks, nil
}

// newKeySet builds a KeySet from keys; keys[0] signs. It rejects an empty
// list, keys smaller than minRSABits and duplicate keys. Its errors carry no
// package prefix; callers add context.
func newKeySet(keys ...*rsa.PrivateKey) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("key set needs at least one key")
	}
	ks := &KeySet{verify: make(map[string]*rsa.PublicKey, len(keys))}
	type jwk struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for i, key := range keys {
		if key == nil {
			return nil, fmt.Errorf("key %d is nil", i)
		}
		if bits := key.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("key %d is RSA-%d, need at least %d bits", i, bits, minRSABits)
		}
		kid, err := KeyID(&key.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if _, dup := ks.verify[kid]; dup {
			return nil, fmt.Errorf("key %d duplicates key id %s", i, kid)
		}
		ks.verify[kid] = &key.PublicKey
		if i == 0 {
			ks.signer, ks.signKID = key, kid
		}
		doc.Keys = append(doc.Keys, jwk{
			Kty: "RSA",
			Use: "sig",
			Alg: "RS256",
			Kid: kid,
			N:   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	ks.jwks = b
	return ks, nil
}

// KeyID returns the key id this package gives pub: the first 16 bytes of the
// SHA-256 of its PKIX (SubjectPublicKeyInfo) DER encoding, base64url without
// padding. The same key always gets the same id.
func KeyID(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}

// SigningKeyID returns the kid of the key that signs new tokens.
func (k *KeySet) SigningKeyID() string { return k.signKID }

// JWKS returns the public keys as a JSON Web Key Set:
// {"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":…,"n":…,"e":…}]},
// signing key first. The document is computed once; each call returns a
// fresh copy the caller may keep or modify.
func (k *KeySet) JWKS() []byte { return slices.Clone(k.jwks) }

// publicKey returns the verification key with the given kid, or nil.
func (k *KeySet) publicKey(kid string) *rsa.PublicKey { return k.verify[kid] }

// DeriveSecret returns a 32-byte secret for another purpose (such as
// signing pagination cursors), derived from the signing key and label with
// HMAC-SHA256. Every instance given the same keys derives the same secret;
// nothing about the key can be learned from it.
func (k *KeySet) DeriveSecret(label string) []byte {
	der := x509.MarshalPKCS1PrivateKey(k.signer)
	mac := hmac.New(sha256.New, der)
	mac.Write([]byte("vidivo derived secret: " + label))
	return mac.Sum(nil)
}
