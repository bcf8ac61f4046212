// Package token issues and verifies vidivo access tokens (RS256 JWTs),
// publishes the verification keys as a JWKS document, and creates opaque
// refresh tokens of which storage keeps only a hash.
//
// Every verification failure is reported as a *vidivo.Error with code
// vidivo.EUNAUTHORIZED and a generic message; the underlying cause is wrapped
// for server logs only and never appears in the user-facing message.
package token
