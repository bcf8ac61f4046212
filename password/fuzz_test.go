package password

import (
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary strings to the PHC decoder behind Verify. It
// must never panic; whatever it accepts must be within bounds and be the
// canonical encoding of what it decoded; Verify must agree with the decoder.
func FuzzVerify(f *testing.F) {
	seeds := []string{
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$hl2Xyl3Zc0dY0sKcyxLUlOG0Kx6klLlA7mBbu2bNNQA",
		"$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4294967296,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=256$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=064,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$$",
		"$argon2id$$$$$",
		"$$$$$$$$$$",
		"",
		"$",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	// A fresh hash from the real encoder.
	h := Hasher{Params: Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}
	enc, err := h.Hash("pw")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)

	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decode(s)
		if err != nil {
			// Verify must reject what the decoder rejects, without work.
			if ok, verr := h.Verify("pw", s); verr == nil || ok {
				t.Fatalf("decode rejected %q (%v) but Verify = %v, %v", s, err, ok, verr)
			}
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("decode accepted %q with out-of-bounds params %+v: %v", s, p, verr)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Fatalf("decode(%q): lengths %d/%d do not match params %+v", s, len(salt), len(key), p)
		}
		if re := encode(p, salt, key); re != s {
			t.Fatalf("decode accepted non-canonical %q; canonical form is %q", s, re)
		}
		if !strings.HasPrefix(s, "$argon2id$v=19$") {
			t.Fatalf("decode accepted %q without the argon2id v=19 prefix", s)
		}
		// Run the real verification only when it is cheap.
		if uint64(p.Memory)*uint64(p.Iterations) <= 1024 {
			if _, verr := h.Verify("pw", s); verr != nil {
				t.Fatalf("decode accepted %q but Verify failed: %v", s, verr)
			}
		}
	})
}
