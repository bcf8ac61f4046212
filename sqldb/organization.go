package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.OrganizationStore = (*DB)(nil)

const (
	organizationColumns = `id, name, created_at, updated_at`
	membershipColumns   = `id, organization_id, user_id, role, created_at, updated_at`
	invitationColumns   = `id, organization_id, email, role, status, token_hash, invited_by, accepted_by,
		created_at, updated_at, expires_at`
)

// errAlreadyMember is the one-organization-per-user rule, which the unique
// index on organization_memberships (user_id) enforces.
var errAlreadyMember = vidivo.Errorf(vidivo.ECONFLICT, "this account already belongs to an organization")

// memberConflict turns the unique violation of a user's one membership
// into errAlreadyMember.
func (db *DB) memberConflict(err error) error {
	if constraint, ok := db.d.uniqueViolation(err); ok && strings.Contains(constraint, "user") {
		return errAlreadyMember
	}
	return err
}

// CreateOrganization implements vidivo.OrganizationStore.
func (db *DB) CreateOrganization(ctx context.Context, o *vidivo.Organization, ownerID string) (*vidivo.Membership, error) {
	now := db.now()
	m := &vidivo.Membership{UserID: ownerID, Role: vidivo.OrgOwner, CreatedAt: now, UpdatedAt: now}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id string
		q := db.d.rebind(`SELECT id FROM users WHERE id = ?`)
		if err := tx.QueryRowContext(ctx, q, ownerID).Scan(&id); err != nil {
			if errNoRows(err) {
				return vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
			}
			return err
		}
		o.ID, o.CreatedAt, o.UpdatedAt = newID(now), now, now
		q = db.d.rebind(`INSERT INTO organizations (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, o.ID, o.Name, ts(now), ts(now)); err != nil {
			return err
		}
		m.ID, m.OrganizationID = newID(now), o.ID
		return db.insertMembership(ctx, tx, m)
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: create organization: %w", err)
	}
	return m, nil
}

func (db *DB) insertMembership(ctx context.Context, tx *sql.Tx, m *vidivo.Membership) error {
	q := db.d.rebind(`INSERT INTO organization_memberships (id, organization_id, user_id, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`)
	_, err := tx.ExecContext(ctx, q, m.ID, m.OrganizationID, m.UserID, string(m.Role), ts(m.CreatedAt), ts(m.UpdatedAt))
	return db.memberConflict(err)
}

// Organization implements vidivo.OrganizationStore.
func (db *DB) Organization(ctx context.Context, id string) (*vidivo.Organization, error) {
	var (
		o                vidivo.Organization
		created, updated scanTime
	)
	q := db.d.rebind(`SELECT ` + organizationColumns + ` FROM organizations WHERE id = ?`)
	if err := db.db.QueryRowContext(ctx, q, id).Scan(&o.ID, &o.Name, &created, &updated); err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "organization not found")
		}
		return nil, fmt.Errorf("sqldb: organization: %w", err)
	}
	o.CreatedAt, o.UpdatedAt = created.Time, updated.Time
	return &o, nil
}

// Membership implements vidivo.OrganizationStore.
func (db *DB) Membership(ctx context.Context, orgID, userID string) (*vidivo.Membership, error) {
	return db.membershipWhere(ctx, `organization_id = ? AND user_id = ?`, orgID, userID)
}

// MembershipByID implements vidivo.OrganizationStore.
func (db *DB) MembershipByID(ctx context.Context, id string) (*vidivo.Membership, error) {
	return db.membershipWhere(ctx, `id = ?`, id)
}

// UserMembership implements vidivo.OrganizationStore.
func (db *DB) UserMembership(ctx context.Context, userID string) (*vidivo.Membership, error) {
	return db.membershipWhere(ctx, `user_id = ?`, userID)
}

func (db *DB) membershipWhere(ctx context.Context, where string, args ...any) (*vidivo.Membership, error) {
	q := db.d.rebind(`SELECT ` + membershipColumns + ` FROM organization_memberships WHERE ` + where)
	m, err := scanMembership(db.db.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("sqldb: membership: %w", err)
	}
	return m, nil
}

// OrganizationMemberIDs implements vidivo.OrganizationStore.
func (db *DB) OrganizationMemberIDs(ctx context.Context, orgID string) ([]string, error) {
	q := db.d.rebind(`SELECT user_id FROM organization_memberships WHERE organization_id = ? ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: organization members: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: organization members: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: organization members: %w", err)
	}
	return ids, nil
}

var memberWithUserQuery = `SELECT ` + prefixed("u", userColumns) + `, ` + prefixed("m", membershipColumns) + `
	FROM organization_memberships m JOIN users u ON u.id = m.user_id`

// Memberships implements vidivo.OrganizationStore. Pages are in id order;
// one row more than the limit says whether another page follows.
func (db *DB) Memberships(ctx context.Context, f vidivo.MembershipFilter) (*vidivo.MembershipPage, error) {
	where, args := `m.organization_id = ?`, []any{f.OrganizationID}
	if f.UserID != "" {
		where, args = `m.user_id = ?`, []any{f.UserID}
		if f.OrganizationID != "" {
			where, args = where+` AND m.organization_id = ?`, append(args, f.OrganizationID)
		}
	}
	if f.After != "" {
		where, args = where+` AND m.id > ?`, append(args, f.After)
	}
	q := db.d.rebind(memberWithUserQuery + ` WHERE ` + where + ` ORDER BY m.id LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: memberships: %w", err)
	}
	defer rows.Close()
	page := &vidivo.MembershipPage{Members: []*vidivo.MemberWithUser{}}
	for rows.Next() {
		mu, err := scanMemberWithUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: memberships: %w", err)
		}
		page.Members = append(page.Members, mu)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: memberships: %w", err)
	}
	if len(page.Members) > f.Limit {
		page.Members, page.More = page.Members[:f.Limit], true
	}
	return page, nil
}

// MemberWithUser implements vidivo.OrganizationStore.
func (db *DB) MemberWithUser(ctx context.Context, id string) (*vidivo.MemberWithUser, error) {
	q := db.d.rebind(memberWithUserQuery + ` WHERE m.id = ?`)
	mu, err := scanMemberWithUser(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "membership not found")
		}
		return nil, fmt.Errorf("sqldb: membership: %w", err)
	}
	return mu, nil
}

// DeleteMembership implements vidivo.OrganizationStore. The organization's
// row is locked before its owners are counted, so two owners removing each
// other at once cannot leave it with none: the second waits, then counts
// one owner and is refused.
func (db *DB) DeleteMembership(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		m, err := db.lockedMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Role == vidivo.OrgOwner {
			if err := db.keepAnOwner(ctx, tx, m.OrganizationID); err != nil {
				return err
			}
		}
		q := db.d.rebind(`DELETE FROM organization_memberships WHERE id = ?`)
		_, err = tx.ExecContext(ctx, q, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: delete membership: %w", err)
	}
	return nil
}

// lockedMembership reads a membership after locking its organization's
// row, so what it reads cannot change before tx ends.
func (db *DB) lockedMembership(ctx context.Context, tx *sql.Tx, id string) (*vidivo.Membership, error) {
	q := db.d.rebind(`SELECT ` + membershipColumns + ` FROM organization_memberships WHERE id = ?`)
	m, err := scanMembership(tx.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, err
	}
	if err := db.lockOrganization(ctx, tx, m.OrganizationID); err != nil {
		return nil, err
	}
	// Read again under the lock: a removal that committed while this one
	// waited has taken the row.
	return scanMembership(tx.QueryRowContext(ctx, q, id))
}

// keepAnOwner refuses to take away one of orgID's owners when it has only
// one. The caller holds the organization's lock.
func (db *DB) keepAnOwner(ctx context.Context, tx *sql.Tx, orgID string) error {
	var owners int
	q := db.d.rebind(`SELECT count(*) FROM organization_memberships WHERE organization_id = ? AND role = 'owner'`)
	if err := tx.QueryRowContext(ctx, q, orgID).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return vidivo.Errorf(vidivo.ECONFLICT, "an organization must keep at least one owner; make another member owner first")
	}
	return nil
}

// lockOrganization locks an organization's row for the rest of tx; a
// missing organization is ENOTFOUND.
func (db *DB) lockOrganization(ctx context.Context, tx *sql.Tx, orgID string) error {
	var id string
	q := db.d.rebind(`SELECT id FROM organizations WHERE id = ?` + db.d.forUpdate())
	if err := tx.QueryRowContext(ctx, q, orgID).Scan(&id); err != nil {
		if errNoRows(err) {
			return vidivo.Errorf(vidivo.ENOTFOUND, "organization not found")
		}
		return err
	}
	return nil
}

// CreateInvitation implements vidivo.OrganizationStore. The checks run
// under the organization's lock; the partial unique index on pending
// invitations is the final word on duplicates.
func (db *DB) CreateInvitation(ctx context.Context, inv *vidivo.Invitation) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockOrganization(ctx, tx, inv.OrganizationID); err != nil {
			return err
		}
		var n int
		q := db.d.rebind(`SELECT count(*) FROM organization_memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = ? AND u.email = ?`)
		if err := tx.QueryRowContext(ctx, q, inv.OrganizationID, inv.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return emailConflict("this email belongs to a member of the organization")
		}
		// A stale invitation to the same email gives way to the new one.
		q = db.d.rebind(`UPDATE organization_invitations SET status = 'expired', updated_at = ?
			WHERE organization_id = ? AND email = ? AND status = 'pending' AND expires_at <= ?`)
		if _, err := tx.ExecContext(ctx, q, ts(now), inv.OrganizationID, inv.Email, ts(now)); err != nil {
			return err
		}
		q = db.d.rebind(`SELECT count(*) FROM organization_invitations
			WHERE organization_id = ? AND status = 'pending' AND expires_at > ?`)
		if err := tx.QueryRowContext(ctx, q, inv.OrganizationID, ts(now)).Scan(&n); err != nil {
			return err
		}
		if n >= vidivo.MaxPendingInvitations {
			return vidivo.Errorf(vidivo.ECONFLICT, "an organization can have at most %d pending invitations", vidivo.MaxPendingInvitations)
		}
		inv.ID, inv.Status, inv.CreatedAt, inv.UpdatedAt, inv.AcceptedBy = newID(now), vidivo.InvitationPending, now, now, nil
		q = db.d.rebind(`INSERT INTO organization_invitations (` + invitationColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`)
		_, err := tx.ExecContext(ctx, q, inv.ID, inv.OrganizationID, inv.Email, string(inv.Role), string(inv.Status),
			inv.TokenHash, nullString(inv.InvitedBy), ts(now), ts(now), ts(inv.ExpiresAt))
		if constraint, ok := db.d.uniqueViolation(err); ok && (strings.Contains(constraint, "pending") || strings.Contains(constraint, "email")) {
			return emailConflict("this email already has a pending invitation to the organization")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: create invitation: %w", err)
	}
	return nil
}

func emailConflict(msg string) error {
	return &vidivo.Error{Code: vidivo.ECONFLICT, Message: msg, Details: []vidivo.FieldError{{Field: "email", Issue: msg}}}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Invitation implements vidivo.OrganizationStore.
func (db *DB) Invitation(ctx context.Context, orgID, id string) (*vidivo.Invitation, error) {
	q := db.d.rebind(`SELECT ` + invitationColumns + ` FROM organization_invitations WHERE organization_id = ? AND id = ?`)
	inv, err := scanInvitation(db.db.QueryRowContext(ctx, q, orgID, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: invitation: %w", err)
	}
	return inv, nil
}

// InvitationByToken implements vidivo.OrganizationStore.
func (db *DB) InvitationByToken(ctx context.Context, tokenHash string) (*vidivo.Invitation, *vidivo.Organization, error) {
	var (
		o                vidivo.Organization
		created, updated scanTime
	)
	q := db.d.rebind(`SELECT ` + prefixed("i", invitationColumns) + `, o.name, o.created_at, o.updated_at
		FROM organization_invitations i JOIN organizations o ON o.id = i.organization_id WHERE i.token_hash = ?`)
	inv, err := scanInvitation(db.db.QueryRowContext(ctx, q, tokenHash), &o.Name, &created, &updated)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: invitation by token: %w", err)
	}
	o.ID, o.CreatedAt, o.UpdatedAt = inv.OrganizationID, created.Time, updated.Time
	return inv, &o, nil
}

// Invitations implements vidivo.OrganizationStore.
func (db *DB) Invitations(ctx context.Context, orgID, after string, limit int) (*vidivo.InvitationPage, error) {
	q := db.d.rebind(`SELECT ` + invitationColumns + ` FROM organization_invitations
		WHERE organization_id = ? AND id > ? ORDER BY id LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, orgID, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sqldb: invitations: %w", err)
	}
	defer rows.Close()
	page := &vidivo.InvitationPage{Invitations: []*vidivo.Invitation{}}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: invitations: %w", err)
		}
		page.Invitations = append(page.Invitations, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: invitations: %w", err)
	}
	if len(page.Invitations) > limit {
		page.Invitations, page.More = page.Invitations[:limit], true
	}
	return page, nil
}

// RevokeInvitation implements vidivo.OrganizationStore: one
// compare-and-set from pending, so it cannot undo an acceptance that
// committed first.
func (db *DB) RevokeInvitation(ctx context.Context, orgID, id string) (*vidivo.Invitation, error) {
	q := db.d.rebind(`UPDATE organization_invitations SET status = 'revoked', updated_at = ?
		WHERE organization_id = ? AND id = ? AND status = 'pending' RETURNING ` + invitationColumns)
	inv, err := scanInvitation(db.db.QueryRowContext(ctx, q, ts(db.now()), orgID, id))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		inv, err = db.Invitation(ctx, orgID, id)
		if err == nil && inv.Status == vidivo.InvitationAccepted {
			return nil, vidivo.Errorf(vidivo.ECONFLICT, "the invitation was already accepted; remove the membership instead")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: revoke invitation: %w", err)
	}
	return inv, nil
}

// AcceptInvitation implements vidivo.OrganizationStore. The invitation's
// row is locked and moved from pending to accepted in the transaction that
// inserts the membership, so it is used once; the unique membership per
// user refuses a second organization.
func (db *DB) AcceptInvitation(ctx context.Context, tokenHash string, user *vidivo.User) (*vidivo.Membership, error) {
	now := db.now()
	var m *vidivo.Membership
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`SELECT ` + invitationColumns + ` FROM organization_invitations WHERE token_hash = ?` + db.d.forUpdate())
		inv, err := scanInvitation(tx.QueryRowContext(ctx, q, tokenHash))
		if err != nil {
			return err
		}
		if err := acceptable(inv, user, now); err != nil {
			return err
		}
		m = &vidivo.Membership{ID: newID(now), OrganizationID: inv.OrganizationID, UserID: user.ID, Role: inv.Role,
			CreatedAt: now, UpdatedAt: now}
		if err := db.insertMembership(ctx, tx, m); err != nil {
			return err
		}
		q = db.d.rebind(`UPDATE organization_invitations SET status = 'accepted', accepted_by = ?, updated_at = ?
			WHERE id = ? AND status = 'pending'`)
		res, err := tx.ExecContext(ctx, q, user.ID, ts(now), inv.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("invitation %s changed while being accepted (%d rows, %v)", inv.ID, n, err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: accept invitation: %w", err)
	}
	return m, nil
}

// acceptable says why inv cannot be accepted by user at now, if it cannot.
func acceptable(inv *vidivo.Invitation, user *vidivo.User, now time.Time) error {
	switch inv.StatusAt(now) {
	case vidivo.InvitationPending:
	case vidivo.InvitationExpired:
		return vidivo.Errorf(vidivo.ELINKEXPIRED, "the invitation has expired; ask for a new one")
	case vidivo.InvitationAccepted:
		return vidivo.Errorf(vidivo.ECONFLICT, "the invitation was already accepted")
	default:
		return vidivo.Errorf(vidivo.ENOTFOUND, "invitation not found")
	}
	if !strings.EqualFold(inv.Email, user.Email) {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "the invitation was sent to another email address; sign in with the invited account")
	}
	return nil
}

func scanMembership(row scanner) (*vidivo.Membership, error) {
	var (
		m                vidivo.Membership
		role             string
		created, updated scanTime
	)
	if err := row.Scan(&m.ID, &m.OrganizationID, &m.UserID, &role, &created, &updated); err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "membership not found")
		}
		return nil, err
	}
	m.Role, m.CreatedAt, m.UpdatedAt = vidivo.OrgRole(role), created.Time, updated.Time
	return &m, nil
}

func scanMemberWithUser(row scanner) (*vidivo.MemberWithUser, error) {
	var (
		mu               vidivo.MemberWithUser
		role             string
		created, updated scanTime
	)
	m := &mu.Membership
	u, err := scanUser(row, &m.ID, &m.OrganizationID, &m.UserID, &role, &created, &updated)
	if err != nil {
		return nil, err
	}
	mu.User = *u
	m.Role, m.CreatedAt, m.UpdatedAt = vidivo.OrgRole(role), created.Time, updated.Time
	return &mu, nil
}

// scanInvitation reads invitationColumns, then any extra destinations. A
// missing row is ENOTFOUND.
func scanInvitation(row scanner, extra ...any) (*vidivo.Invitation, error) {
	var (
		inv                       vidivo.Invitation
		role, status              string
		invitedBy, acceptedBy     sql.NullString
		created, updated, expires scanTime
	)
	dest := []any{&inv.ID, &inv.OrganizationID, &inv.Email, &role, &status, &inv.TokenHash, &invitedBy, &acceptedBy,
		&created, &updated, &expires}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "invitation not found")
		}
		return nil, err
	}
	inv.Role, inv.Status, inv.InvitedBy = vidivo.OrgRole(role), vidivo.InvitationStatus(status), invitedBy.String
	if acceptedBy.Valid {
		inv.AcceptedBy = &acceptedBy.String
	}
	inv.CreatedAt, inv.UpdatedAt, inv.ExpiresAt = created.Time, updated.Time, expires.Time
	return &inv, nil
}

// SetMembershipRole changes a member's role (operators and tests; no API
// route changes roles yet). Demoting the last owner is ECONFLICT.
func (db *DB) SetMembershipRole(ctx context.Context, id string, role vidivo.OrgRole) error {
	if !role.Valid() {
		return vidivo.Invalid(vidivo.FieldError{Field: "role", Issue: `must be "owner", "admin" or "member"`})
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		m, err := db.lockedMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.Role == vidivo.OrgOwner && role != vidivo.OrgOwner {
			if err := db.keepAnOwner(ctx, tx, m.OrganizationID); err != nil {
				return err
			}
		}
		q := db.d.rebind(`UPDATE organization_memberships SET role = ?, updated_at = ? WHERE id = ?`)
		_, err = tx.ExecContext(ctx, q, string(role), ts(db.now()), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: set membership role: %w", err)
	}
	return nil
}
