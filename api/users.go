package api

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
)

// userResponse is the documented user object.
type userResponse struct {
	ID          string  `json:"id"`
	Email       string  `json:"email"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Role        string  `json:"role"`
	Timezone    string  `json:"timezone"`
	CreatedAt   string  `json:"created_at"`
}

func newUserResponse(u *vidivo.User) userResponse {
	return userResponse{
		ID: u.ID, Email: u.Email, Username: u.Username, DisplayName: u.DisplayName,
		AvatarURL: u.AvatarURL, Role: string(u.Role), Timezone: u.Timezone,
		CreatedAt: formatTime(u.CreatedAt),
	}
}

// formatTime renders an instant as the API does: RFC 3339 in UTC, seconds.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type userEnvelope struct {
	User userResponse `json:"user"`
}

// meResponse is the caller's own account with what integrators read from
// /users/me under Calendly's names: the scheduling page and the
// organization the account belongs to.
type meResponse struct {
	userResponse
	SchedulingURL       *string `json:"scheduling_url"`
	CurrentOrganization *string `json:"current_organization"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Users.UserByID(r.Context(), CallerFrom(r.Context()).Subject)
	return s.writeMe(w, r, u, err)
}

// writeMe answers with the caller's own account. A missing account means
// the token outlived it: the caller is no longer anyone.
func (s *Server) writeMe(w http.ResponseWriter, r *http.Request, u *vidivo.User, err error) error {
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return vidivo.Errorf(vidivo.EUNAUTHORIZED, "account no longer exists")
	}
	if err != nil {
		return err
	}
	out := meResponse{userResponse: newUserResponse(u), SchedulingURL: s.schedulingURL(u)}
	if s.Orgs != nil {
		m, err := s.Orgs.CurrentOrganization(r.Context(), u.ID)
		if err != nil {
			return err
		}
		if m != nil {
			org := s.organizationURI(m.OrganizationID)
			out.CurrentOrganization = &org
		}
	}
	writeJSON(w, http.StatusOK, map[string]meResponse{"user": out})
	return nil
}

type meUpdateRequest struct {
	DisplayName *string          `json:"display_name"`
	AvatarURL   nullable[string] `json:"avatar_url"`
	Timezone    *string          `json:"timezone"`
}

func (s *Server) handleMeUpdate(w http.ResponseWriter, r *http.Request) error {
	var in meUpdateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	upd := vidivo.UserUpdate{DisplayName: in.DisplayName, Timezone: in.Timezone}
	if in.AvatarURL.Set {
		avatar := in.AvatarURL.Value // null clears, like ""
		upd.AvatarURL = &avatar
	}
	if err := upd.Validate(); err != nil {
		return err
	}
	u, err := s.Users.UpdateUser(r.Context(), CallerFrom(r.Context()).Subject, upd)
	return s.writeMe(w, r, u, err)
}
