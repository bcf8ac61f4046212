package token_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

type jwksDoc struct {
	Keys []map[string]string `json:"keys"`
}

// TestJWKS rebuilds the public key from the published n and e and checks it
// verifies a token the KeySet signed.
func TestJWKS(t *testing.T) {
	t.Parallel()
	k := keys(t)
	both, err := token.LoadKeySet("", k.pemA8+k.pemB8)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		ks       *token.KeySet
		wantKids []string
	}{
		{"one key", k.ksA, []string{k.kidA}},
		{"two keys, signer first", both, []string{k.kidA, k.kidB}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var doc jwksDoc
			if err := json.Unmarshal(tt.ks.JWKS(), &doc); err != nil {
				t.Fatalf("JWKS is not JSON: %v", err)
			}
			if len(doc.Keys) != len(tt.wantKids) {
				t.Fatalf("JWKS has %d keys, want %d", len(doc.Keys), len(tt.wantKids))
			}
			pubs := map[string]*rsa.PublicKey{}
			for i, jwk := range doc.Keys {
				for field, want := range map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": tt.wantKids[i]} {
					if jwk[field] != want {
						t.Errorf("key %d: %s = %q, want %q", i, field, jwk[field], want)
					}
				}
				if len(jwk) != 6 {
					t.Errorf("key %d has fields %v, want exactly kty use alg kid n e", i, jwk)
				}
				pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(t, jwk["n"])), E: int(new(big.Int).SetBytes(b64(t, jwk["e"])).Int64())}
				if kid, err := token.KeyID(pub); err != nil || kid != jwk["kid"] {
					t.Errorf("key %d: KeyID(rebuilt key) = %q, %v; want %q", i, kid, err, jwk["kid"])
				}
				pubs[jwk["kid"]] = pub
			}
			tok, _, err := newIssuer(tt.ks).Issue(vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient})
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
				kid, _ := tk.Header["kid"].(string)
				return pubs[kid], nil
			}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
			if err != nil || !parsed.Valid {
				t.Errorf("token does not verify with the JWKS key: %v", err)
			}
		})
	}
}

// b64 decodes base64url without padding, failing on padding or bad input.
func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatalf("not unpadded base64url: %q: %v", s, err)
	}
	return b
}

func TestJWKSReturnsCopy(t *testing.T) {
	t.Parallel()
	ks := keys(t).ksA
	a := ks.JWKS()
	a[0] = 'X'
	if b := ks.JWKS(); b[0] != '{' {
		t.Errorf("modifying one JWKS result changed the next: %q", b[:10])
	}
}

func TestGenerateKeySet(t *testing.T) {
	t.Parallel()
	ks, err := token.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	var doc jwksDoc
	if err := json.Unmarshal(ks.JWKS(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 || doc.Keys[0]["kid"] != ks.SigningKeyID() {
		t.Fatalf("JWKS = %s, want one key with kid %q", ks.JWKS(), ks.SigningKeyID())
	}
	if n := len(b64(t, doc.Keys[0]["n"])) * 8; n != 2048 {
		t.Errorf("modulus is %d bits, want 2048", n)
	}
	iss := newIssuer(ks)
	c := vidivo.Caller{Subject: "u1", Role: vidivo.RoleAdmin}
	tok, _, err := iss.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := iss.Verify(tok); err != nil || got != c {
		t.Errorf("Verify = %+v, %v; want %+v", got, err, c)
	}
}

func TestKeyIDFormat(t *testing.T) {
	t.Parallel()
	k := keys(t)
	if len(k.kidA) != 22 || strings.ContainsAny(k.kidA, "+/=") {
		t.Errorf("kid %q is not 16 bytes of unpadded base64url", k.kidA)
	}
	if k.kidA == k.kidB {
		t.Error("different keys have the same kid")
	}
	if got := k.ksA.SigningKeyID(); got != k.kidA {
		t.Errorf("SigningKeyID = %q, want %q", got, k.kidA)
	}
}

func TestLoadKeySetFromPEM(t *testing.T) {
	t.Parallel()
	k := keys(t)
	tests := []struct {
		name    string
		pem     string
		wantKid string
	}{
		{"PKCS#8", k.pemA8, k.kidA},
		{"PKCS#1", k.pemA1, k.kidA},
		{"leading and trailing whitespace", "\n\n" + k.pemA1 + "\n  \n", k.kidA},
		{"two blocks, first signs", k.pemB8 + k.pemA1, k.kidB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "unused")
			ks, err := token.LoadKeySet(dir, tt.pem)
			if err != nil {
				t.Fatalf("LoadKeySet: %v", err)
			}
			if got := ks.SigningKeyID(); got != tt.wantKid {
				t.Errorf("SigningKeyID = %q, want %q", got, tt.wantKid)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("LoadKeySet with PEM text touched the data directory: %v", err)
			}
		})
	}
}

func TestLoadKeySetRejects(t *testing.T) {
	t.Parallel()
	k := keys(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM, err := pkcs8PEM(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	smallKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(smallKey)}))
	pubDER, err := x509.MarshalPKIXPublicKey(&k.keyA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	block, _ := pem.Decode([]byte(k.pemA8))
	corrupt := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes[:len(block.Bytes)/2]}))
	mislabeled := strings.ReplaceAll(k.pemA8, "PRIVATE KEY", "RSA PRIVATE KEY") // PKCS#8 bytes labelled PKCS#1

	tests := []struct {
		name string
		pem  string
	}{
		{"garbage", "this is not a key"},
		{"whitespace only", " \n\t"},
		{"truncated PEM", k.pemA8[:len(k.pemA8)/2]},
		{"corrupt DER", corrupt},
		{"PKCS#8 bytes labelled PKCS#1", mislabeled},
		{"EC key", ecPEM},
		{"RSA-1024 key", smallPEM},
		{"public key only", pubPEM},
		{"good key then garbage", k.pemA8 + "trailing garbage"},
		{"good key then EC key", k.pemA8 + ecPEM},
		{"same key twice", k.pemA8 + k.pemA1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if ks, err := token.LoadKeySet(t.TempDir(), tt.pem); err == nil {
				t.Errorf("LoadKeySet accepted it, signing kid %q", ks.SigningKeyID())
			}
		})
	}
}

func TestLoadKeySetGeneratesThenLoads(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	first, err := token.LoadKeySet(dir, "")
	if err != nil {
		t.Fatalf("first LoadKeySet: %v", err)
	}
	path := filepath.Join(dir, token.KeyFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not written: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %v, want 0600", mode)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mode := di.Mode().Perm(); mode&0o077 != 0 {
		t.Errorf("data dir mode = %v, want no group/other access", mode)
	}
	second, err := token.LoadKeySet(dir, "")
	if err != nil {
		t.Fatalf("second LoadKeySet: %v", err)
	}
	if first.SigningKeyID() != second.SigningKeyID() {
		t.Errorf("second load has kid %q, first %q: key was regenerated", second.SigningKeyID(), first.SigningKeyID())
	}
	// A token from the first instance verifies in the second.
	tok, _, err := newIssuer(first).Issue(vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newIssuer(second).Verify(tok); err != nil {
		t.Errorf("second instance rejects first instance's token: %v", err)
	}
	assertOnlyKeyFile(t, dir)
}

// TestLoadKeySetConcurrentStart starts several instances on an empty data
// directory at once; all must end up with the same key.
func TestLoadKeySetConcurrentStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 4
	kids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ks, err := token.LoadKeySet(dir, "")
			errs[i] = err
			if err == nil {
				kids[i] = ks.SigningKeyID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	want := make([]string, n)
	for i := range want {
		want[i] = kids[0]
	}
	if diff := cmp.Diff(want, kids); diff != "" {
		t.Errorf("instances disagree on the key (-want +got):\n%s", diff)
	}
	final, err := token.LoadKeySet(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if final.SigningKeyID() != kids[0] {
		t.Errorf("file holds kid %q, instances use %q", final.SigningKeyID(), kids[0])
	}
	assertOnlyKeyFile(t, dir)
}

func TestLoadKeySetBadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
	}{
		{"garbage", "garbage"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, token.KeyFileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := token.LoadKeySet(dir, ""); err == nil {
				t.Fatal("LoadKeySet accepted a bad key file")
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tt.content {
				t.Errorf("bad key file was replaced (now %q, %v); it must be left for an operator", got, err)
			}
		})
	}
}

func TestLoadKeySetNoSource(t *testing.T) {
	t.Parallel()
	if _, err := token.LoadKeySet("", ""); err == nil {
		t.Error("LoadKeySet with neither PEM nor data dir succeeded")
	}
}

// assertOnlyKeyFile fails if dir holds anything but the key file, such as a
// leftover temporary file.
func assertOnlyKeyFile(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{token.KeyFileName}, names); diff != "" {
		t.Errorf("data dir contents (-want +got):\n%s", diff)
	}
}

func TestDeriveSecret(t *testing.T) {
	t.Parallel()
	a, other := keys(t).ksA, keys(t).ksB
	s1, s2 := a.DeriveSecret("cursor"), a.DeriveSecret("cursor")
	if len(s1) != 32 || string(s1) != string(s2) {
		t.Fatalf("DeriveSecret not stable: %x %x", s1, s2)
	}
	if string(s1) == string(a.DeriveSecret("other")) || string(s1) == string(other.DeriveSecret("cursor")) {
		t.Error("secrets for other labels or keys must differ")
	}
}
