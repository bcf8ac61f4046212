// Package orgs runs organizations: founding one, inviting people and
// accepting invitations, and who may read or remove which membership. The
// seed's rule decides reads: owners and admins read the whole
// organization, members only their own membership.
package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

// Service runs organizations on a store.
type Service struct {
	Store vidivo.OrganizationStore
	Users vidivo.UserStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// inviteTokenBytes is an invitation token's entropy: 256 bits.
const inviteTokenBytes = 32

var (
	errOrgNotFound        = vidivo.Errorf(vidivo.ENOTFOUND, "organization not found")
	errMembershipNotFound = vidivo.Errorf(vidivo.ENOTFOUND, "membership not found")
	errInvitationNotFound = vidivo.Errorf(vidivo.ENOTFOUND, "invitation not found")
	errNotManager         = vidivo.Errorf(vidivo.EFORBIDDEN, "only the organization's owners and admins may do this")
)

// Create founds an organization with the caller as its owner. Returns
// EVALIDATION for a bad name and ECONFLICT when the caller already
// belongs to an organization.
func (s *Service) Create(ctx context.Context, caller vidivo.Caller, name string) (*vidivo.Organization, *vidivo.Membership, error) {
	name = vidivo.NormalizeOrganizationName(name)
	if issue := vidivo.CheckOrganizationName(name); issue != "" {
		return nil, nil, vidivo.Invalid(vidivo.FieldError{Field: "name", Issue: issue})
	}
	o := &vidivo.Organization{Name: name}
	m, err := s.Store.CreateOrganization(ctx, o, caller.Subject)
	if err != nil {
		return nil, nil, err
	}
	return o, m, nil
}

// Organization returns an organization its members may see. To anyone
// else it does not exist.
func (s *Service) Organization(ctx context.Context, caller vidivo.Caller, id string) (*vidivo.Organization, error) {
	if _, err := s.member(ctx, caller, id); err != nil {
		return nil, err
	}
	return s.Store.Organization(ctx, id)
}

// member is the caller's membership of orgID; ENOTFOUND (the
// organization's) when they have none, so outsiders learn nothing.
func (s *Service) member(ctx context.Context, caller vidivo.Caller, orgID string) (*vidivo.Membership, error) {
	if !vidivo.IsID(orgID) {
		return nil, errOrgNotFound
	}
	m, err := s.Store.Membership(ctx, orgID, caller.Subject)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errOrgNotFound
	}
	return m, err
}

// manager is the caller's membership of orgID if they may manage it:
// ENOTFOUND for outsiders, EFORBIDDEN for plain members.
func (s *Service) manager(ctx context.Context, caller vidivo.Caller, orgID string) (*vidivo.Membership, error) {
	m, err := s.member(ctx, caller, orgID)
	if err != nil {
		return nil, err
	}
	if !m.CanManage() {
		return nil, errNotManager
	}
	return m, nil
}

// Invite invites email to orgID as role and returns the invitation with
// its token, which is not kept and cannot be shown again. Owners and
// admins invite; ownership is not invitable.
func (s *Service) Invite(ctx context.Context, caller vidivo.Caller, orgID, email string, role vidivo.OrgRole) (*vidivo.Invitation, string, error) {
	if _, err := s.manager(ctx, caller, orgID); err != nil {
		return nil, "", err
	}
	email = vidivo.NormalizeEmail(email)
	var errs []vidivo.FieldError
	if issue := vidivo.CheckEmail(email); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "email", Issue: issue})
	}
	if !role.Invitable() {
		errs = append(errs, vidivo.FieldError{Field: "role", Issue: `must be "admin" or "member"`})
	}
	if len(errs) > 0 {
		return nil, "", vidivo.Invalid(errs...)
	}
	tok, err := newInviteToken()
	if err != nil {
		return nil, "", err
	}
	inv := &vidivo.Invitation{OrganizationID: orgID, Email: email, Role: role, TokenHash: HashToken(tok),
		InvitedBy: caller.Subject, ExpiresAt: s.now().Add(vidivo.InvitationTTL)}
	if err := s.Store.CreateInvitation(ctx, inv); err != nil {
		return nil, "", err
	}
	return inv, tok, nil
}

// Invitations lists a page of orgID's invitations, for its owners and
// admins.
func (s *Service) Invitations(ctx context.Context, caller vidivo.Caller, orgID, after string, limit int) (*vidivo.InvitationPage, error) {
	if _, err := s.manager(ctx, caller, orgID); err != nil {
		return nil, err
	}
	return s.Store.Invitations(ctx, orgID, after, limit)
}

// Revoke revokes a pending invitation of orgID, for its owners and admins.
func (s *Service) Revoke(ctx context.Context, caller vidivo.Caller, orgID, id string) (*vidivo.Invitation, error) {
	if _, err := s.manager(ctx, caller, orgID); err != nil {
		return nil, err
	}
	if !vidivo.IsID(id) {
		return nil, errInvitationNotFound
	}
	return s.Store.RevokeInvitation(ctx, orgID, id)
}

// Accept makes the caller a member through the invitation with token. The
// caller's account must have the invited email: a new person signs up
// with it first.
func (s *Service) Accept(ctx context.Context, caller vidivo.Caller, token string) (*vidivo.Membership, error) {
	if !IsInviteToken(token) {
		return nil, errInvitationNotFound
	}
	u, err := s.Users.UserByID(ctx, caller.Subject)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, vidivo.Errorf(vidivo.EUNAUTHORIZED, "account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	return s.Store.AcceptInvitation(ctx, HashToken(token), u)
}

// Preview returns the invitation with token and its organization, for the
// invitation link: whoever holds the token (256 random bits) may see what
// it invites to. Unknown or malformed tokens are ENOTFOUND.
func (s *Service) Preview(ctx context.Context, token string) (*vidivo.Invitation, *vidivo.Organization, error) {
	if !IsInviteToken(token) {
		return nil, nil, errInvitationNotFound
	}
	return s.Store.InvitationByToken(ctx, HashToken(token))
}

// Query selects memberships to list: an organization's, or a user's
// (either or both given, as ids).
type Query struct {
	OrganizationID string
	UserID         string
	After          string
	Limit          int
}

// Memberships lists memberships the caller may read: anyone their own
// (UserID is the caller), owners and admins their organization's (all of
// it, or one of its members by UserID). Any other list is EFORBIDDEN,
// whether or not the user or organization has members, so nothing is
// learned from the refusal.
func (s *Service) Memberships(ctx context.Context, caller vidivo.Caller, q Query) (*vidivo.MembershipPage, error) {
	f := vidivo.MembershipFilter{OrganizationID: q.OrganizationID, UserID: q.UserID, After: q.After, Limit: q.Limit}
	if q.OrganizationID == "" && q.UserID == caller.Subject {
		return s.Store.Memberships(ctx, f)
	}
	mine, err := s.Store.UserMembership(ctx, caller.Subject)
	if err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
		return nil, err
	}
	switch {
	case q.OrganizationID != "" && (mine == nil || mine.OrganizationID != q.OrganizationID):
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a member of this organization")
	case q.OrganizationID != "" && q.UserID == caller.Subject:
		return s.Store.Memberships(ctx, f) // one's own, in one's own organization
	case !mine.CanReadOrganization():
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN,
			"only the organization's owners and admins list its members; members read their own membership (user=)")
	}
	if q.OrganizationID == "" {
		// user= alone: that user must be in the reader's organization.
		theirs, err := s.Store.Membership(ctx, mine.OrganizationID, q.UserID)
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "this user is not a member of your organization")
		}
		if err != nil {
			return nil, err
		}
		f.OrganizationID = theirs.OrganizationID
	}
	return s.Store.Memberships(ctx, f)
}

// Membership returns one membership with its user: one's own, or any of
// one's organization for owners and admins (EFORBIDDEN for members).
// Another organization's is ENOTFOUND.
func (s *Service) Membership(ctx context.Context, caller vidivo.Caller, id string) (*vidivo.MemberWithUser, error) {
	if !vidivo.IsID(id) {
		return nil, errMembershipNotFound
	}
	mu, err := s.Store.MemberWithUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if mu.UserID == caller.Subject {
		return mu, nil
	}
	if err := s.sameOrganization(ctx, caller, &mu.Membership, (*vidivo.Membership).CanReadOrganization); err != nil {
		return nil, err
	}
	return mu, nil
}

// Remove deletes a membership: anyone may leave, owners and admins remove
// others of their organization, and only owners remove owners. The last
// owner stays (ECONFLICT).
func (s *Service) Remove(ctx context.Context, caller vidivo.Caller, id string) error {
	if !vidivo.IsID(id) {
		return errMembershipNotFound
	}
	m, err := s.Store.MembershipByID(ctx, id)
	if err != nil {
		return err
	}
	if m.UserID != caller.Subject {
		may := func(mine *vidivo.Membership) bool {
			return mine.CanManage() && (m.Role != vidivo.OrgOwner || mine.Role == vidivo.OrgOwner)
		}
		if err := s.sameOrganization(ctx, caller, m, may); err != nil {
			return err
		}
	}
	return s.Store.DeleteMembership(ctx, id)
}

// sameOrganization checks that the caller belongs to m's organization
// (else ENOTFOUND, as if m did not exist) and that their membership
// passes may (else EFORBIDDEN).
func (s *Service) sameOrganization(ctx context.Context, caller vidivo.Caller, m *vidivo.Membership, may func(*vidivo.Membership) bool) error {
	mine, err := s.Store.Membership(ctx, m.OrganizationID, caller.Subject)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return errMembershipNotFound
	}
	if err != nil {
		return err
	}
	if !may(mine) {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "your role in the organization does not allow this")
	}
	return nil
}

// CurrentOrganization is the organization the user belongs to, or nil.
func (s *Service) CurrentOrganization(ctx context.Context, userID string) (*vidivo.Membership, error) {
	m, err := s.Store.UserMembership(ctx, userID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil
	}
	return m, err
}

// IsInviteToken reports whether tok has an invitation token's shape.
func IsInviteToken(tok string) bool {
	if len(tok) != base64.RawURLEncoding.EncodedLen(inviteTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil
}

// HashToken is how an invitation token is stored and looked up: its
// SHA-256 (the token has 256 random bits).
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func newInviteToken() (string, error) {
	var b [inviteTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("orgs: new invitation token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
