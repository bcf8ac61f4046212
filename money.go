package vidivo

import (
	"strconv"
	"strings"
)

// Money is an amount in US cents. Money is never a float: the API speaks
// decimal strings with two places ("2.50") and everything inside is cents.
type Money int64

// maxMoneyDigits bounds the whole-dollar part, far above any real price and
// far below int64 overflow.
const maxMoneyDigits = 9

// ParseMoney parses a non-negative decimal string with at most two
// decimals: "2.5" and "2.50" are 250 cents; "2.505", "1e2", "-1", " 2",
// "2.", ".5", "02.50" and "" are errors.
func ParseMoney(s string) (Money, bool) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxMoneyDigits || !allDigits(whole) || (len(whole) > 1 && whole[0] == '0') {
		return 0, false
	}
	if hasDot && (frac == "" || len(frac) > 2 || !allDigits(frac)) {
		return 0, false
	}
	dollars, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	cents := int64(0)
	if frac != "" {
		cents, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			cents *= 10
		}
	}
	return Money(dollars*100 + cents), true
}

// String renders m with two decimals, as the API does: 250 → "2.50".
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	cents := int64(m % 100)
	s := strconv.FormatInt(int64(m/100), 10) + "."
	if cents < 10 {
		s += "0"
	}
	return sign + s + strconv.FormatInt(cents, 10)
}

// Mul returns m times n, for per-minute rates times minutes.
func (m Money) Mul(n int64) Money { return m * Money(n) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
