package token_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vidivo/vidivo/token"
)

// testKeys is key material shared by every test in the package, because RSA
// key generation is slow.
type testKeys struct {
	keyA, keyB *rsa.PrivateKey
	// pemA1 and pemA8 hold keyA as PKCS#1 and PKCS#8; pemB8 holds keyB.
	pemA1, pemA8, pemB8 string
	kidA, kidB          string
	// ksA holds only keyA, ksB only keyB.
	ksA, ksB *token.KeySet
}

var (
	sharedOnce sync.Once
	shared     *testKeys
	sharedErr  error
)

// keys returns the shared key material, generating it on first use.
func keys(tb testing.TB) *testKeys {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = makeKeys() })
	if sharedErr != nil {
		tb.Fatalf("generating test keys: %v", sharedErr)
	}
	return shared
}

func makeKeys() (*testKeys, error) {
	var k testKeys
	var err error
	if k.keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if k.keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	k.pemA1 = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.keyA)}))
	if k.pemA8, err = pkcs8PEM(k.keyA); err != nil {
		return nil, err
	}
	if k.pemB8, err = pkcs8PEM(k.keyB); err != nil {
		return nil, err
	}
	if k.kidA, err = token.KeyID(&k.keyA.PublicKey); err != nil {
		return nil, err
	}
	if k.kidB, err = token.KeyID(&k.keyB.PublicKey); err != nil {
		return nil, err
	}
	if k.ksA, err = token.LoadKeySet("", k.pemA8); err != nil {
		return nil, err
	}
	if k.ksB, err = token.LoadKeySet("", k.pemB8); err != nil {
		return nil, err
	}
	return &k, nil
}

func pkcs8PEM(key any) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// testNow is the fixed time every test clock reads.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	testIss = "https://vidivo.test"
	testAud = "vidivo-api"
	testTTL = 15 * time.Minute
)

// newIssuer returns an Issuer over ks with the fixed test clock.
func newIssuer(ks *token.KeySet) *token.Issuer {
	return &token.Issuer{
		Keys:     ks,
		Issuer:   testIss,
		Audience: testAud,
		TTL:      testTTL,
		Now:      func() time.Time { return testNow },
	}
}

// validClaims returns the claims Issue would write for a client at testNow.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":  testIss,
		"aud":  testAud,
		"sub":  "user-1",
		"iat":  testNow.Unix(),
		"exp":  testNow.Add(testTTL).Unix(),
		"jti":  "AAAAAAAAAAAAAAAAAAAAAA",
		"role": "client",
	}
}

// sign builds a token by hand: method and key sign claims, and the header
// gets kid unless kid is empty.
func sign(tb testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tb.Helper()
	t := jwt.NewWithClaims(method, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatalf("signing test token: %v", err)
	}
	return s
}

// with returns validClaims changed by edit.
func with(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := validClaims()
	edit(c)
	return c
}
