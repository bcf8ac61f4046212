package oauth

import (
	"slices"
	"strings"
)

// Scope names one kind of access an app may ask for. The set is fixed and
// documented (docs/oauth.md, the discovery document's scopes_supported).
type Scope = string

// The scopes, each read or write of one area of the API.
const (
	ScopeSchedulingRead  Scope = "scheduling:read"
	ScopeSchedulingWrite Scope = "scheduling:write"
	ScopeCallsRead       Scope = "calls:read"
	ScopeCallsWrite      Scope = "calls:write"
	ScopeWebhooksRead    Scope = "webhooks:read"
	ScopeWebhooksWrite   Scope = "webhooks:write"
	ScopeUsersRead       Scope = "users:read"
)

// AllScopes is every scope, in the order pages list them.
var AllScopes = []Scope{ScopeUsersRead, ScopeSchedulingRead, ScopeSchedulingWrite, ScopeCallsRead,
	ScopeCallsWrite, ScopeWebhooksRead, ScopeWebhooksWrite}

// scopeText says what each scope lets an app do, for the consent page.
var scopeText = map[Scope]string{
	ScopeUsersRead:       "See your profile (name, email, username, time zone) and organization",
	ScopeSchedulingRead:  "See your scheduled events, invitees, availability and event types",
	ScopeSchedulingWrite: "Book, reschedule and cancel events, and change your availability and event types",
	ScopeCallsRead:       "See your calls, call history and call links",
	ScopeCallsWrite:      "Create and delete call links, and join and end calls",
	ScopeWebhooksRead:    "See your webhook subscriptions and their deliveries",
	ScopeWebhooksWrite:   "Create and delete webhook subscriptions",
}

// Describe says in words what scope lets an app do.
func Describe(s Scope) string { return scopeText[s] }

// Known reports whether s is one of AllScopes.
func Known(s string) bool {
	_, ok := scopeText[s]
	return ok
}

// Scopes is a set of scopes, kept sorted in AllScopes order without
// duplicates.
type Scopes []Scope

// ParseScopes reads a space-separated scope string (RFC 6749 §3.3).
// unknown lists the names that are not scopes.
func ParseScopes(s string) (scopes Scopes, unknown []string) {
	return NewScopes(strings.Fields(s))
}

// NewScopes makes a set of names; unknown lists those that are not scopes.
func NewScopes(names []string) (scopes Scopes, unknown []string) {
	for _, n := range names {
		if !Known(n) {
			unknown = append(unknown, n)
		}
	}
	for _, s := range AllScopes {
		if slices.Contains(names, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes, unknown
}

// String is the space-separated form, as on the wire and in storage.
func (s Scopes) String() string { return strings.Join(s, " ") }

// Has reports whether scope is in s.
func (s Scopes) Has(scope Scope) bool { return slices.Contains(s, scope) }

// Within reports whether every scope of s is in of.
func (s Scopes) Within(of Scopes) bool {
	for _, x := range s {
		if !of.Has(x) {
			return false
		}
	}
	return true
}

// Intersect is the scopes in both s and t.
func (s Scopes) Intersect(t Scopes) Scopes {
	out := Scopes{}
	for _, x := range s {
		if t.Has(x) {
			out = append(out, x)
		}
	}
	return out
}

// Union is the scopes in s or t.
func (s Scopes) Union(t Scopes) Scopes {
	out, _ := NewScopes(append(slices.Clone(s), t...))
	return out
}
