package vidivo

import (
	"context"
	"strings"
	"time"
)

// OrgRole is what a member may do in their organization.
type OrgRole string

const (
	// OrgOwner manages the organization; an organization always keeps at
	// least one.
	OrgOwner OrgRole = "owner"
	// OrgAdmin manages members and invitations and reads the whole
	// organization's data.
	OrgAdmin OrgRole = "admin"
	// OrgMember reads only their own data.
	OrgMember OrgRole = "member"
)

// Valid reports whether r is one of the three roles.
func (r OrgRole) Valid() bool {
	switch r {
	case OrgOwner, OrgAdmin, OrgMember:
		return true
	}
	return false
}

// Invitable reports whether an invitation may grant r: ownership is never
// handed out by an emailed link.
func (r OrgRole) Invitable() bool { return r == OrgAdmin || r == OrgMember }

// Limits on organizations.
const (
	MaxOrganizationNameLen = 100
	// MaxPendingInvitations bounds an organization's open invitations, so
	// nobody can use it to send mail in bulk.
	MaxPendingInvitations = 200
	// InvitationTTL is how long an invitation link can be accepted.
	InvitationTTL = 14 * 24 * time.Hour
)

// Organization is a team of accounts. A user belongs to at most one.
type Organization struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NormalizeOrganizationName trims a name as it is stored.
func NormalizeOrganizationName(name string) string { return strings.TrimSpace(name) }

// CheckOrganizationName returns what is wrong with a normalized name, or "".
func CheckOrganizationName(name string) string {
	return TextIssue(name, TextRule{Required: true, Max: MaxOrganizationNameLen})
}

// Membership is one user's place in an organization.
type Membership struct {
	ID             string
	OrganizationID string
	UserID         string
	Role           OrgRole
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CanReadOrganization reports whether the member may read the whole
// organization's data (its members, their events and subscriptions):
// owners and admins may, members read only their own.
func (m *Membership) CanReadOrganization() bool {
	return m != nil && (m.Role == OrgOwner || m.Role == OrgAdmin)
}

// CanManage reports whether the member may invite people and remove other
// members: owners and admins.
func (m *Membership) CanManage() bool { return m.CanReadOrganization() }

// MemberWithUser is a membership with its user's account, as lists show it.
type MemberWithUser struct {
	Membership
	User User
}

// MembershipFilter selects one page of memberships: those of one
// organization, or the one of a user (exactly one of the two is set).
type MembershipFilter struct {
	OrganizationID string
	UserID         string
	// After is the id of the last membership of the previous page; ""
	// starts at the first. Pages are in id (creation) order.
	After string
	Limit int
}

// MembershipPage is one page of memberships; More says another follows.
type MembershipPage struct {
	Members []*MemberWithUser
	More    bool
}

// InvitationStatus is where an invitation stands.
type InvitationStatus string

const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationRevoked  InvitationStatus = "revoked"
	// InvitationExpired: a pending invitation past its ExpiresAt is
	// shown as expired (see Invitation.StatusAt), and stored so when the
	// email is invited again.
	InvitationExpired InvitationStatus = "expired"
)

// Invitation asks the holder of an email address to join an organization.
// Its token is only ever stored as a hash.
type Invitation struct {
	ID             string
	OrganizationID string
	Email          string
	Role           OrgRole
	Status         InvitationStatus
	TokenHash      string
	InvitedBy      string
	// AcceptedBy is the user who accepted it, once accepted.
	AcceptedBy *string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  time.Time
}

// StatusAt is the invitation's status at now: a pending one past its
// expiry is expired.
func (i *Invitation) StatusAt(now time.Time) InvitationStatus {
	if i.Status == InvitationPending && !now.Before(i.ExpiresAt) {
		return InvitationExpired
	}
	return i.Status
}

// InvitationPage is one page of an organization's invitations.
type InvitationPage struct {
	Invitations []*Invitation
	More        bool
}

// OrganizationStore keeps organizations, memberships and invitations. The
// database enforces the rules that races could break: one organization per
// user (a unique membership per user), at least one owner per
// organization, one pending invitation per email and organization.
type OrganizationStore interface {
	// CreateOrganization inserts o (setting ID and times) and makes
	// ownerID its owner, in one transaction. Returns ECONFLICT if the user
	// already belongs to an organization.
	CreateOrganization(ctx context.Context, o *Organization, ownerID string) (*Membership, error)
	// Organization returns ENOTFOUND if there is no such organization.
	Organization(ctx context.Context, id string) (*Organization, error)

	// Membership is userID's membership of orgID; ENOTFOUND when the user
	// is not a member of it.
	Membership(ctx context.Context, orgID, userID string) (*Membership, error)
	// MembershipByID returns ENOTFOUND if there is no such membership.
	MembershipByID(ctx context.Context, id string) (*Membership, error)
	// UserMembership is the one membership of userID; ENOTFOUND when the
	// user belongs to no organization.
	UserMembership(ctx context.Context, userID string) (*Membership, error)
	// OrganizationMemberIDs lists the user ids of orgID's members (an
	// unknown organization has none).
	OrganizationMemberIDs(ctx context.Context, orgID string) ([]string, error)
	// Memberships returns a page of memberships with their users.
	Memberships(ctx context.Context, f MembershipFilter) (*MembershipPage, error)
	// MemberWithUser returns one membership with its user; ENOTFOUND if
	// there is no such membership.
	MemberWithUser(ctx context.Context, id string) (*MemberWithUser, error)
	// DeleteMembership removes a membership. Removing the organization's
	// last owner is ECONFLICT; an unknown membership is ENOTFOUND.
	DeleteMembership(ctx context.Context, id string) error

	// CreateInvitation stores a pending invitation (setting ID, Status and
	// times; ExpiresAt must be set). Returns ECONFLICT when the email
	// already has a pending invitation to the organization, belongs to
	// one of its members, or the organization has MaxPendingInvitations
	// pending.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// Invitation returns orgID's invitation id; ENOTFOUND if none.
	Invitation(ctx context.Context, orgID, id string) (*Invitation, error)
	// InvitationByToken returns the invitation whose token has tokenHash,
	// with its organization; ENOTFOUND if none.
	InvitationByToken(ctx context.Context, tokenHash string) (*Invitation, *Organization, error)
	// Invitations returns a page of orgID's invitations in id order, after
	// the id after ("" for the first page).
	Invitations(ctx context.Context, orgID, after string, limit int) (*InvitationPage, error)
	// RevokeInvitation revokes a pending invitation; ENOTFOUND if there is
	// no such invitation, ECONFLICT if it was already accepted. Revoking
	// twice is not an error.
	RevokeInvitation(ctx context.Context, orgID, id string) (*Invitation, error)
	// AcceptInvitation turns the pending, unexpired invitation with
	// tokenHash into a membership of user (whose email must be the
	// invitation's), atomically. Returns ENOTFOUND for an unknown or
	// revoked invitation, ELINKEXPIRED for an expired one, EFORBIDDEN
	// when the email differs, ECONFLICT when it was already accepted or
	// the user already belongs to an organization.
	AcceptInvitation(ctx context.Context, tokenHash string, user *User) (*Membership, error)
}
