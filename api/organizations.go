package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/orgs"
)

// Organizations follow Calendly's API v2 shapes: {"resource": …} and
// {"collection": …, "pagination": …}, things named by URIs.

// Page sizes of the organization lists (Calendly's count).
const (
	defaultOrgCount = 20
	maxOrgCount     = 100
)

func (s *Server) organizationURI(id string) string { return s.PublicURL + "/v1/organizations/" + id }
func (s *Server) membershipURI(id string) string {
	return s.PublicURL + "/v1/organization_memberships/" + id
}
func (s *Server) invitationURI(orgID, id string) string {
	return s.organizationURI(orgID) + "/invitations/" + id
}

type organizationJSON struct {
	ID        string `json:"id"`
	URI       string `json:"uri"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func (s *Server) organizationJSON(o *vidivo.Organization) organizationJSON {
	return organizationJSON{ID: o.ID, URI: s.organizationURI(o.ID), Name: o.Name,
		CreatedAt: formatTime(o.CreatedAt), UpdatedAt: formatTime(o.UpdatedAt)}
}

// memberUserJSON is the user inside a membership, as Calendly shows it.
type memberUserJSON struct {
	URI           string  `json:"uri"`
	Name          string  `json:"name"`
	Slug          string  `json:"slug"`
	Email         string  `json:"email"`
	SchedulingURL *string `json:"scheduling_url"`
	Timezone      string  `json:"timezone"`
	AvatarURL     *string `json:"avatar_url"`
	CreatedAt     string  `json:"created_at"`
}

type membershipJSON struct {
	ID           string          `json:"id"`
	URI          string          `json:"uri"`
	Role         string          `json:"role"`
	User         *memberUserJSON `json:"user"`
	Organization string          `json:"organization"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
}

func (s *Server) membershipJSON(m *vidivo.Membership, u *vidivo.User) membershipJSON {
	out := membershipJSON{ID: m.ID, URI: s.membershipURI(m.ID), Role: string(m.Role),
		Organization: s.organizationURI(m.OrganizationID), CreatedAt: formatTime(m.CreatedAt), UpdatedAt: formatTime(m.UpdatedAt)}
	if u != nil {
		out.User = &memberUserJSON{URI: s.userURI(u.ID), Name: u.DisplayName, Slug: u.Username, Email: u.Email,
			SchedulingURL: s.schedulingURL(u), Timezone: u.Timezone, AvatarURL: u.AvatarURL, CreatedAt: formatTime(u.CreatedAt)}
	}
	return out
}

// schedulingURL is a host's public scheduling page; accounts that take no
// bookings have none.
func (s *Server) schedulingURL(u *vidivo.User) *string {
	if u.Role != vidivo.RoleHost && u.Role != vidivo.RoleAdmin {
		return nil
	}
	page := s.PublicURL + "/" + u.Username
	return &page
}

type invitationJSON struct {
	ID           string  `json:"id"`
	URI          string  `json:"uri"`
	Organization string  `json:"organization"`
	Email        string  `json:"email"`
	Role         string  `json:"role"`
	Status       string  `json:"status"`
	User         *string `json:"user"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
	ExpiresAt    string  `json:"expires_at"`
	// InvitationURL is the link to accept, in the creating answer only.
	InvitationURL string `json:"invitation_url,omitempty"`
}

func (s *Server) invitationJSON(inv *vidivo.Invitation) invitationJSON {
	out := invitationJSON{ID: inv.ID, URI: s.invitationURI(inv.OrganizationID, inv.ID),
		Organization: s.organizationURI(inv.OrganizationID), Email: inv.Email, Role: string(inv.Role),
		Status: string(inv.StatusAt(s.now())), CreatedAt: formatTime(inv.CreatedAt), UpdatedAt: formatTime(inv.UpdatedAt),
		ExpiresAt: formatTime(inv.ExpiresAt)}
	if inv.AcceptedBy != nil {
		u := s.userURI(*inv.AcceptedBy)
		out.User = &u
	}
	return out
}

// pageParams reads count and page_token for a list whose pages are bound
// to scope (so a token from one list is refused by another).
func (s *Server) pageParams(r *http.Request, scope string) (after string, count int, errs []vidivo.FieldError) {
	q := r.URL.Query()
	count = defaultOrgCount
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxOrgCount {
			errs = append(errs, vidivo.FieldError{Field: "count", Issue: "must be an integer from 1 to 100"})
		}
		count = n
	}
	if v := q.Get("page_token"); v != "" {
		c, ok := s.decodeCursor(v, scope)
		if !ok {
			errs = append(errs, vidivo.FieldError{Field: "page_token", Issue: "is not a page_token from a previous page"})
		}
		after = c.Before
	}
	return after, count, errs
}

// pagination builds the block for a page of n items whose last id is
// last; more says another page follows. These lists page forward only.
func (s *Server) pagination(r *http.Request, scope string, n int, more bool, last string) calendlyPagination {
	return s.nextPagination(r, r.URL.Query(), scope, n, more, func() string { return last })
}

// refID reads a query parameter that names a thing by URI or id: the id
// is the URI's last segment.
func refID(q url.Values, field, prefix string) (string, *vidivo.FieldError) {
	v := q.Get(field)
	if v == "" {
		return "", nil
	}
	if i := strings.LastIndex(v, prefix); i >= 0 {
		v = v[i+len(prefix):]
	}
	if !vidivo.IsID(v) {
		return "", &vidivo.FieldError{Field: field, Issue: "must be a " + field + " URI or id"}
	}
	return v, nil
}

type organizationCreateRequest struct {
	Name string `json:"name"`
}

// handleOrganizationCreate is POST /v1/organizations: the caller founds an
// organization and owns it.
func (s *Server) handleOrganizationCreate(w http.ResponseWriter, r *http.Request) error {
	var in organizationCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o, _, err := s.Orgs.Create(r.Context(), CallerFrom(r.Context()), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]organizationJSON{"resource": s.organizationJSON(o)})
	return nil
}

// handleOrganizationGet is GET /v1/organizations/{id}, for its members.
func (s *Server) handleOrganizationGet(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Orgs.Organization(r.Context(), CallerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]organizationJSON{"resource": s.organizationJSON(o)})
	return nil
}

type invitationCreateRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// handleInvitationCreate is POST /v1/organizations/{id}/invitations, for
// owners and admins; the answer alone carries the link to accept.
func (s *Server) handleInvitationCreate(w http.ResponseWriter, r *http.Request) error {
	var in invitationCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inv, tok, err := s.Orgs.Invite(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), in.Email, vidivo.OrgRole(in.Role))
	if err != nil {
		return err
	}
	out := s.invitationJSON(inv)
	out.InvitationURL = s.PublicURL + "/v1/organization_invitations/" + tok
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]invitationJSON{"resource": out})
	return nil
}

type invitationList struct {
	Collection []invitationJSON   `json:"collection"`
	Pagination calendlyPagination `json:"pagination"`
}

// handleInvitationList is GET /v1/organizations/{id}/invitations, for
// owners and admins.
func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request) error {
	orgID := r.PathValue("id")
	scope := "invitations:" + orgID
	after, count, errs := s.pageParams(r, scope)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	page, err := s.Orgs.Invitations(r.Context(), CallerFrom(r.Context()), orgID, after, count)
	if err != nil {
		return err
	}
	out := invitationList{Collection: make([]invitationJSON, 0, len(page.Invitations))}
	last := ""
	for _, inv := range page.Invitations {
		out.Collection = append(out.Collection, s.invitationJSON(inv))
		last = inv.ID
	}
	out.Pagination = s.pagination(r, scope, len(out.Collection), page.More, last)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleInvitationRevoke is DELETE
// /v1/organizations/{id}/invitations/{invitation_id}.
func (s *Server) handleInvitationRevoke(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Orgs.Revoke(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// invitationPreviewJSON is what an invitation link shows: the invitation
// and the name of the organization it invites to.
type invitationPreviewJSON struct {
	invitationJSON
	OrganizationName string `json:"organization_name"`
}

// handleInvitationPreview is GET /v1/organization_invitations/{token}, the
// invitation link itself: public, as the token is the secret.
func (s *Server) handleInvitationPreview(w http.ResponseWriter, r *http.Request) error {
	inv, org, err := s.Orgs.Preview(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]invitationPreviewJSON{"resource": {s.invitationJSON(inv), org.Name}})
	return nil
}

// handleInvitationAccept is POST /v1/organization_invitations/{token}/accept
// by the invited account.
func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := s.Orgs.Accept(ctx, CallerFrom(ctx), r.PathValue("token"))
	if err != nil {
		return err
	}
	mu, err := s.Orgs.Membership(ctx, CallerFrom(ctx), m.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]membershipJSON{"resource": s.membershipJSON(&mu.Membership, &mu.User)})
	return nil
}

type membershipList struct {
	Collection []membershipJSON   `json:"collection"`
	Pagination calendlyPagination `json:"pagination"`
}

// handleMembershipList is GET /v1/organization_memberships with
// organization= or user= (or both).
func (s *Server) handleMembershipList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs []vidivo.FieldError
	orgID, fe := refID(q, "organization", "/v1/organizations/")
	if fe != nil {
		errs = append(errs, *fe)
	}
	userID, fe := refID(q, "user", "/v1/users/")
	if fe != nil {
		errs = append(errs, *fe)
	}
	if q.Get("organization") == "" && q.Get("user") == "" {
		errs = append(errs, vidivo.FieldError{Field: "organization", Issue: "organization or user is required"})
	}
	scope := "memberships:" + orgID + ":" + userID
	after, count, pageErrs := s.pageParams(r, scope)
	if errs = append(errs, pageErrs...); len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	page, err := s.Orgs.Memberships(r.Context(), CallerFrom(r.Context()),
		orgs.Query{OrganizationID: orgID, UserID: userID, After: after, Limit: count})
	if err != nil {
		return err
	}
	out := membershipList{Collection: make([]membershipJSON, 0, len(page.Members))}
	last := ""
	for _, mu := range page.Members {
		out.Collection = append(out.Collection, s.membershipJSON(&mu.Membership, &mu.User))
		last = mu.ID
	}
	out.Pagination = s.pagination(r, scope, len(out.Collection), page.More, last)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleMembershipGet is GET /v1/organization_memberships/{id}.
func (s *Server) handleMembershipGet(w http.ResponseWriter, r *http.Request) error {
	mu, err := s.Orgs.Membership(r.Context(), CallerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]membershipJSON{"resource": s.membershipJSON(&mu.Membership, &mu.User)})
	return nil
}

// handleMembershipDelete is DELETE /v1/organization_memberships/{id}.
func (s *Server) handleMembershipDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.Orgs.Remove(r.Context(), CallerFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
