package vidivo_test

import (
	"testing"

	"github.com/vidivo/vidivo"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want vidivo.Money
		ok   bool
	}{
		{"2.50", 250, true}, {"2.5", 250, true}, {"2", 200, true}, {"0.50", 50, true},
		{"999.99", 99999, true}, {"0", 0, true}, {"0.05", 5, true}, {"10.00", 1000, true},
		{"2.505", 0, false}, {"1e2", 0, false}, {"-1", 0, false}, {" 2", 0, false}, {"2 ", 0, false},
		{"", 0, false}, {"2.", 0, false}, {".5", 0, false}, {"02.50", 0, false}, {"+2", 0, false},
		{"2,50", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"1234567890", 0, false},
		{"0x10", 0, false}, {"٣.٥", 0, false}, {"2.5.0", 0, false}, {"2.-5", 0, false},
	} {
		got, ok := vidivo.ParseMoney(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	for m, want := range map[vidivo.Money]string{0: "0.00", 5: "0.05", 50: "0.50", 250: "2.50", 99999: "999.99", 1600: "16.00", -250: "-2.50"} {
		if got := m.String(); got != want {
			t.Errorf("Money(%d).String() = %q, want %q", m, got, want)
		}
	}
}

// FuzzParseMoney checks that every accepted string round-trips: parsing
// the canonical form gives the same cents, and the canonical form of an
// accepted input differs from it only by a missing trailing zero.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"2.50", "2.5", "0", "999.99", "1e2", "-1", " 2", "02.5", "2.505"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := vidivo.ParseMoney(s)
		if !ok {
			return
		}
		if m < 0 {
			t.Fatalf("ParseMoney(%q) = %d < 0", s, m)
		}
		back, ok := vidivo.ParseMoney(m.String())
		if !ok || back != m {
			t.Fatalf("round trip %q → %d → %q → %d, %v", s, m, m.String(), back, ok)
		}
		if c := m.String(); c != s && c != s+"0" && c != s+".00" {
			t.Fatalf("ParseMoney(%q) accepted a non-canonical form (canonical %q)", s, c)
		}
	})
}
