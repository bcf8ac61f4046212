package token_test

import (
	"testing"

	vidivo "github.com/vidivo/vidivo"
)

func BenchmarkIssue(b *testing.B) {
	iss := newIssuer(keys(b).ksA)
	c := vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := iss.Issue(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	iss := newIssuer(keys(b).ksA)
	tok, _, err := iss.Issue(vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	iss := newIssuer(keys(b).ksA)
	tok, _, err := iss.Issue(vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := iss.Verify(tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
