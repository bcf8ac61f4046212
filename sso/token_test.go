package sso_test

import (
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sso"
)

const (
	keyA = "partner-a-key-0123456789abcdef0123456789"
	keyB = "partner-b-key-0123456789abcdef0123456789"
)

var (
	partners = sso.Partners{"abcd": []byte(keyA), "other": []byte(keyB)}
	now      = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
)

// claims are a valid sign-up token's claims at now, as the partner guide's
// snippet makes them.
func claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "abcd", "exp": now.Add(15 * time.Minute).Unix(), "iat": now.Unix(),
		"email": "jane@example.com", "name": "Jane Smith", "business_name": "Jane's Studio",
		"time_zone": "Pacific Time (US & Canada)",
	}
}

func sign(t testing.TB, c jwt.MapClaims, key string) string {
	t.Helper()
	raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestVerify(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) jwt.MapClaims {
		c := claims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	for _, tc := range []struct {
		name string
		tok  func(t *testing.T) string
		want string // "" accepts; else a word of the error message
	}{
		{"valid", func(t *testing.T) string { return sign(t, claims(), keyA) }, ""},
		{"valid, other partner", func(t *testing.T) string { return sign(t, with("iss", "other"), keyB) }, ""},
		{"exp exactly 15 minutes ahead", func(t *testing.T) string { return sign(t, claims(), keyA) }, ""},
		{"exp 15 minutes and a skewed clock ahead", func(t *testing.T) string {
			return sign(t, with("exp", now.Add(15*time.Minute+20*time.Second).Unix()), keyA)
		}, ""},
		{"exp 16 minutes ahead", func(t *testing.T) string {
			return sign(t, with("exp", now.Add(16*time.Minute).Unix()), keyA)
		}, "more than 15 minutes"},
		{"exp a year ahead", func(t *testing.T) string {
			return sign(t, with("exp", now.AddDate(1, 0, 0).Unix()), keyA)
		}, "more than 15 minutes"},
		{"expired", func(t *testing.T) string { return sign(t, with("exp", now.Add(-time.Second).Unix()), keyA) }, "expired"},
		{"expires now", func(t *testing.T) string { return sign(t, with("exp", now.Unix()), keyA) }, "expired"},
		{"no exp", func(t *testing.T) string { return sign(t, with("exp", nil), keyA) }, "no expiry"},
		{"no iat", func(t *testing.T) string { return sign(t, with("iat", nil), keyA) }, "no issue time"},
		{"iat in the future", func(t *testing.T) string {
			return sign(t, with("iat", now.Add(5*time.Minute).Unix()), keyA)
		}, "in the future"},
		{"exp before iat", func(t *testing.T) string {
			c := with("iat", now.Add(10*time.Second).Unix())
			c["exp"] = now.Add(5 * time.Second).Unix()
			return sign(t, c, keyA)
		}, "before it was issued"},
		{"wrong key", func(t *testing.T) string { return sign(t, claims(), "not-the-partner-key-0123456789abcdef") }, "signature"},
		{"another partner's key with this issuer", func(t *testing.T) string { return sign(t, claims(), keyB) }, "signature"},
		{"unknown issuer", func(t *testing.T) string { return sign(t, with("iss", "mallory"), keyA) }, "issuer"},
		{"no issuer", func(t *testing.T) string { return sign(t, with("iss", nil), keyA) }, "issuer"},
		{"alg none", func(t *testing.T) string {
			raw, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}, "well-formed"},
		{"RS256", func(t *testing.T) string {
			raw, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims()).SignedString(rsaKey)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}, "well-formed"},
		{"HS512 with the right key", func(t *testing.T) string {
			raw, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims()).SignedString([]byte(keyA))
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}, "well-formed"},
		{"HS256 header, signature stripped", func(t *testing.T) string {
			raw := sign(t, claims(), keyA)
			return raw[:strings.LastIndexByte(raw, '.')+1]
		}, "signature"},
		{"empty", func(*testing.T) string { return "" }, "required"},
		{"garbage", func(*testing.T) string { return "not.a.token" }, "well-formed"},
		{"too long", func(t *testing.T) string {
			return sign(t, with("name", strings.Repeat("x", sso.MaxTokenLen)), keyA)
		}, "well-formed"},
		{"email of the wrong type", func(t *testing.T) string { return sign(t, with("email", 42), keyA) }, "well-formed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := partners.Verify(tc.tok(t), now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if tok.Use.Issuer != tok.Issuer || len(tok.Use.Hash) != 64 || !tok.Use.ExpiresAt.Equal(tok.ExpiresAt.Time) {
					t.Errorf("use = %+v", tok.Use)
				}
				return
			}
			if vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED || !strings.Contains(vidivo.ErrorMessage(err), tc.want) {
				t.Fatalf("Verify = %v; want unauthorized mentioning %q", err, tc.want)
			}
		})
	}
}

func TestVerifyUseHashIsPerToken(t *testing.T) {
	t.Parallel()
	a, err := partners.Verify(sign(t, claims(), keyA), now)
	if err != nil {
		t.Fatal(err)
	}
	c := claims()
	c["iat"] = now.Add(-time.Second).Unix()
	b, err := partners.Verify(sign(t, c, keyA), now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Use.Hash == b.Use.Hash {
		t.Error("two different tokens share a use hash")
	}
}

func TestParsePartners(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "partners")
	if err := os.WriteFile(file, []byte("# partners\nabcd="+keyA+"\n\n  other = "+keyB+"  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, spec string
		want       []string // issuers; nil with wantErr
		wantErr    string
	}{
		{"empty", "", []string{}, ""},
		{"one", "abcd=" + keyA, []string{"abcd"}, ""},
		{"two with spaces", " abcd=" + keyA + " , other=" + keyB + ",", []string{"abcd", "other"}, ""},
		{"key with =", "abcd=" + keyA + "==", []string{"abcd"}, ""},
		{"file", "@" + file, []string{"abcd", "other"}, ""},
		{"missing file", "@" + file + ".missing", nil, "read partners file"},
		{"no =", "abcd", nil, "entry 1: want issuer=key"},
		{"short key", "abcd=short", nil, "shorter than 32"},
		{"empty issuer", "=" + keyA, nil, "issuer must be"},
		{"issuer with space", "ab cd=" + keyA, nil, "issuer must be"},
		{"duplicate", "abcd=" + keyA + ",abcd=" + keyB, nil, "entry 2: issuer \"abcd\" is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sso.ParsePartners(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePartners = %v; want error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), keyA) || strings.Contains(err.Error(), keyB) {
					t.Errorf("error shows a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("issuers = %v, want %v", got, tc.want)
			}
			for _, iss := range tc.want {
				if len(got[iss]) < sso.MinKeyLen {
					t.Errorf("issuer %q missing or short key", iss)
				}
			}
		})
	}
}

// FuzzVerify: no input makes the parser panic, and whatever it accepts is
// a token within the window from a known issuer.
func FuzzVerify(f *testing.F) {
	f.Add(sign(f, claims(), keyA))
	f.Add(sign(f, claims(), keyB))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJhYmNkIn0.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := partners.Verify(raw, now)
		if err != nil {
			if vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
				t.Fatalf("error %v is not unauthorized", err)
			}
			return
		}
		if _, ok := partners[tok.Issuer]; !ok || !tok.ExpiresAt.After(now) ||
			tok.ExpiresAt.After(now.Add(sso.MaxLifetime+sso.ClockSkew)) {
			t.Fatalf("accepted %q: %+v", raw, tok.Claims)
		}
	})
}
