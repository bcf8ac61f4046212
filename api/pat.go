package api

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
)

// patJSON is the documented personal access token. Token is set only in
// the answer that creates it.
type patJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Token      string  `json:"token,omitempty"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  *string `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func newPATJSON(t *vidivo.PersonalAccessToken, plain string) patJSON {
	return patJSON{ID: t.ID, Name: t.Name, Token: plain, CreatedAt: formatTime(t.CreatedAt),
		ExpiresAt: formatTimePtr(t.ExpiresAt), LastUsedAt: formatTimePtr(t.LastUsedAt)}
}

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

type patCreateRequest struct {
	Name      string  `json:"name"`
	ExpiresAt *string `json:"expires_at"`
}

// handlePATCreate is POST /v1/personal_access_tokens: the value is in
// this answer only.
func (s *Server) handlePATCreate(w http.ResponseWriter, r *http.Request) error {
	var in patCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	create := vidivo.PATCreate{Name: in.Name}
	if in.ExpiresAt != nil {
		at, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return vidivo.Invalid(vidivo.FieldError{Field: "expires_at", Issue: `must be an RFC 3339 time such as "2027-03-16T09:00:00Z"`})
		}
		create.ExpiresAt = &at
	}
	t, plain, err := s.Auth.CreatePAT(r.Context(), CallerFrom(r.Context()).Subject, create)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]patJSON{"personal_access_token": newPATJSON(t, plain)})
	return nil
}

// handlePATList is GET /v1/personal_access_tokens: the caller's tokens,
// without their values.
func (s *Server) handlePATList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Auth.PATs(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	out := make([]patJSON, len(list))
	for i, t := range list {
		out[i] = newPATJSON(t, "")
	}
	writeJSON(w, http.StatusOK, map[string][]patJSON{"personal_access_tokens": out})
	return nil
}

// handlePATDelete is DELETE /v1/personal_access_tokens/{id}: the token
// stops working at once.
func (s *Server) handlePATDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.Auth.DeletePAT(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
