package vidivo

// Role is what an account may do. Guests are not accounts: a guest holds a
// token scoped to one call and has RoleGuest.
type Role string

const (
	RoleClient Role = "client"
	RoleHost   Role = "host"
	RoleAdmin  Role = "admin"
	RoleGuest  Role = "guest"
)

// Valid reports whether r is an account role (guest is not one).
func (r Role) Valid() bool {
	switch r {
	case RoleClient, RoleHost, RoleAdmin:
		return true
	}
	return false
}

// Caller is the authenticated party behind a request, as proven by an access
// token.
type Caller struct {
	// Subject is the user id, or for a guest the guest participant id.
	Subject string
	Role    Role
	// CallID is set only for guest tokens: the one call the guest may act on.
	CallID string
}

// IsGuest reports whether the caller holds a call-scoped guest token.
func (c Caller) IsGuest() bool { return c.Role == RoleGuest }

// Can reports whether the caller has one of the roles. Admins pass every
// account-role check; guests pass only a check that names RoleGuest.
func (c Caller) Can(roles ...Role) bool {
	for _, r := range roles {
		if c.Role == r || (c.Role == RoleAdmin && r != RoleGuest) {
			return true
		}
	}
	return false
}
