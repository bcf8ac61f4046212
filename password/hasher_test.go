package password_test

import (
	"strings"
	"testing"

	"github.com/vidivo/vidivo/password"
)

// cheap are parameters fast enough to run many times under -race.
var cheap = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	want := password.Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	if got := password.DefaultParams(); got != want {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
	if err := want.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestHashFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		hasher     password.Hasher
		wantPrefix string
		wantLen    int
	}{
		// 16-byte salt = 22 chars, 32-byte key = 43 chars.
		{"zero value uses OWASP defaults", password.Hasher{}, "$argon2id$v=19$m=19456,t=2,p=1$", 31 + 22 + 1 + 43},
		{"custom params", password.Hasher{Params: password.Params{Memory: 64, Iterations: 3, Parallelism: 2, SaltLen: 8, KeyLen: 16}},
			"$argon2id$v=19$m=64,t=3,p=2$", 28 + 11 + 1 + 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := tt.hasher.Hash("correct horse")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, tt.wantPrefix) || len(enc) != tt.wantLen {
				t.Errorf("Hash = %q (len %d), want prefix %q and len %d", enc, len(enc), tt.wantPrefix, tt.wantLen)
			}
			if f := strings.Split(enc, "$"); len(f) != 6 || strings.ContainsAny(f[4]+f[5], "=-_") {
				t.Errorf("Hash = %q: want 5 fields, salt and hash in unpadded standard base64", enc)
			}
			ok, err := tt.hasher.Verify("correct horse", enc)
			if err != nil || !ok {
				t.Errorf("Verify(own hash) = %v, %v", ok, err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	h := password.Hasher{Params: cheap}
	enc, err := h.Hash("s3cret pässwörd")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"right password", "s3cret pässwörd", true},
		{"wrong password", "s3cret passwörd", false},
		{"empty password", "", false},
		{"prefix of password", "s3cret", false},
		{"password plus suffix", "s3cret pässwörd ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := h.Verify(tt.pw, enc)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.pw, got, tt.want)
			}
		})
	}
}

// TestVerifyUsesStoredParams checks hashes made with old parameters still
// verify after the configured parameters change.
func TestVerifyUsesStoredParams(t *testing.T) {
	t.Parallel()
	old := password.Hasher{Params: cheap}
	enc, err := old.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	changed := password.Hasher{Params: password.Params{Memory: 128, Iterations: 2, Parallelism: 2, SaltLen: 32, KeyLen: 64}}
	ok, err := changed.Verify("pw", enc)
	if err != nil || !ok {
		t.Errorf("Verify with changed params = %v, %v; want true", ok, err)
	}
}

func TestHashSalted(t *testing.T) {
	t.Parallel()
	h := password.Hasher{Params: cheap}
	a, errA := h.Hash("same")
	b, errB := h.Hash("same")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a == b {
		t.Errorf("two hashes of the same password are equal: %q", a)
	}
	saltA, saltB := strings.Split(a, "$")[4], strings.Split(b, "$")[4]
	if saltA == saltB {
		t.Errorf("two hashes share salt %q", saltA)
	}
}

func TestHashRejectsBadParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params password.Params
	}{
		{"no iterations", password.Params{Memory: 64, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"no parallelism", password.Params{Memory: 64, Iterations: 1, SaltLen: 16, KeyLen: 32}},
		{"memory below 8 per lane", password.Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}},
		{"memory over 1 GiB", password.Params{Memory: password.MaxMemory + 1, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"too many iterations", password.Params{Memory: 64, Iterations: password.MaxIterations + 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"short salt", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 4, KeyLen: 32}},
		{"short key", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 8}},
		{"huge key", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: password.MaxKeyLen + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if enc, err := (password.Hasher{Params: tt.params}).Hash("pw"); err == nil {
				t.Errorf("Hash with %+v = %q, want error", tt.params, enc)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	h := password.Hasher{Params: cheap}
	good, err := h.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$") // "", argon2id, v=19, m=64,t=1,p=1, salt, hash
	salt, key := f[4], f[5]
	join := func(fields ...string) string { return strings.Join(fields, "$") }
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"plain text", "pw"},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", join("", "argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2d", join("", "argon2d", "v=19", "m=64,t=1,p=1", salt, key)},
		{"version 16", join("", "argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"missing version", join("", "argon2id", "m=64,t=1,p=1", salt, key)},
		{"missing hash", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt)},
		{"extra field", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, key, "x")},
		{"no leading dollar", join("x", "argon2id", "v=19", "m=64,t=1,p=1", salt, key)},
		{"params out of order", join("", "argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"params missing p", join("", "argon2id", "v=19", "m=64,t=1", salt, key)},
		{"params extra", join("", "argon2id", "v=19", "m=64,t=1,p=1,k=2", salt, key)},
		{"param not a number", join("", "argon2id", "v=19", "m=lots,t=1,p=1", salt, key)},
		{"param negative", join("", "argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"param plus sign", join("", "argon2id", "v=19", "m=+64,t=1,p=1", salt, key)},
		{"param leading zero", join("", "argon2id", "v=19", "m=064,t=1,p=1", salt, key)},
		{"param empty", join("", "argon2id", "v=19", "m=,t=1,p=1", salt, key)},
		{"memory overflows uint32", join("", "argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"parallelism overflows uint8", join("", "argon2id", "v=19", "m=4096,t=1,p=256", salt, key)},
		{"zero iterations", join("", "argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"zero parallelism", join("", "argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"memory below 8 per lane", join("", "argon2id", "v=19", "m=8,t=1,p=2", salt, key)},
		{"memory 2 GiB", join("", "argon2id", "v=19", "m=2097152,t=1,p=1", salt, key)},
		{"1000 iterations", join("", "argon2id", "v=19", "m=64,t=1000,p=1", salt, key)},
		{"salt not base64", join("", "argon2id", "v=19", "m=64,t=1,p=1", "!!!!!!!!!!!", key)},
		{"salt padded", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"salt url alphabet", join("", "argon2id", "v=19", "m=64,t=1,p=1", "-_-_-_-_-_-_-_-_-_-_-_", key)},
		{"salt too short", join("", "argon2id", "v=19", "m=64,t=1,p=1", "AAAA", key)},
		{"salt empty", join("", "argon2id", "v=19", "m=64,t=1,p=1", "", key)},
		{"hash too short", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "AAAAAAAA")},
		{"hash empty", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"hash 2 KiB", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 2731))},
		{"newline inside hash", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, key[:10]+"\n"+key[10:])},
		{"CR inside salt", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt[:5]+"\r"+salt[5:], key)},
		{"hash non-canonical last char", join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, key[:len(key)-1]+"B")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify("pw", tt.encoded)
			if err == nil {
				t.Errorf("Verify(%q) = %v, nil; want error", tt.encoded, ok)
			}
			if ok {
				t.Errorf("Verify(%q) reported a match", tt.encoded)
			}
		})
	}
}

// TestDummyVerifyCost checks DummyVerify costs about as much as a real
// Verify with the same parameters, so unknown accounts cannot be told apart
// by timing. The bounds are loose to stay reliable on busy machines.
// BenchmarkVerifyVsDummy shows that a log-in for an unknown email
// (DummyVerify) costs what a wrong password (Verify) does. Timing is
// measured here, never asserted in a test.
func BenchmarkVerifyVsDummy(b *testing.B) {
	h := password.Hasher{}
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Verify", func(b *testing.B) {
		for b.Loop() {
			h.Verify("wrong password", enc)
		}
	})
	b.Run("DummyVerify", func(b *testing.B) {
		for b.Loop() {
			h.DummyVerify("wrong password")
		}
	})
}
