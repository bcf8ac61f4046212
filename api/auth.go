package api

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
)

// sessionResponse is the documented body of signup, login and refresh.
type sessionResponse struct {
	User         userResponse `json:"user"`
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    int64        `json:"expires_in"`
}

func newSessionResponse(s *auth.Session) sessionResponse {
	return sessionResponse{
		User:         newUserResponse(s.User),
		AccessToken:  s.AccessToken,
		RefreshToken: s.RefreshToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.ExpiresIn / time.Second),
	}
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	var in vidivo.Signup
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.limitSignup(w, r); err != nil {
		return err
	}
	sess, err := s.Auth.Signup(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newSessionResponse(sess))
	return nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in loginRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.limitLogin(w, r, in.Email); err != nil {
		return err
	}
	sess, err := s.Auth.Login(r.Context(), in.Email, in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSessionResponse(sess))
	return nil
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (in refreshRequest) validate() error {
	if in.RefreshToken == "" {
		return vidivo.Invalid(vidivo.FieldError{Field: "refresh_token", Issue: "is required"})
	}
	return nil
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	var in refreshRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	sess, err := s.Auth.Refresh(r.Context(), in.RefreshToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSessionResponse(sess))
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	var in refreshRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	if err := s.Auth.Logout(r.Context(), CallerFrom(r.Context()), in.RefreshToken); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
