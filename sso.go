package vidivo

import "time"

// SSOAccount links an account to the partner app that created it by single
// sign-on: the partner's token issuer, and the business name it gave.
type SSOAccount struct {
	UserID       string
	Issuer       string
	BusinessName string
}

// SSOTokenUse is one use of a partner's sign-on token, kept until the
// token expires so that it cannot be used a second time.
type SSOTokenUse struct {
	// Hash is the hex SHA-256 of the whole token.
	Hash      string
	Issuer    string
	ExpiresAt time.Time
}
