package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/vidivo/vidivo"
)

// accountForm is what the log-in and sign-up pages show again after a
// refused attempt: what was typed (never the password) and what was wrong.
type accountForm struct {
	Next        string
	Email       string
	Username    string
	DisplayName string
	Role        vidivo.Role
	Error       string
	// Fields maps a field to its problem, shown beside it.
	Fields map[string]string
}

func formError(err error) (string, map[string]string) {
	var e *vidivo.Error
	if !errors.As(err, &e) {
		return "", nil
	}
	fields := map[string]string{}
	for _, d := range e.Details {
		fields[d.Field] = d.Issue
	}
	return e.Message, fields
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "home", view{Title: "Paid video calls", User: s.optionalUser(w, r)})
	return nil
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := s.caller(w, r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	// ?email= prefills the form (the scheduling widget passes what the
	// embedding site knows).
	s.render(w, r, http.StatusOK, "login", view{Title: "Log in", Data: accountForm{Next: next, Email: r.URL.Query().Get("email")}})
	return nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	form := accountForm{Next: safeNext(r.PostFormValue("next")), Email: r.PostFormValue("email")}
	fail := func(status int, err error) error {
		form.Error, form.Fields = formError(err)
		s.render(w, r, status, "login", view{Title: "Log in", Data: form})
		return nil
	}
	if s.Limiter != nil {
		if err := s.Limiter.LimitLogin(w, r, form.Email); err != nil {
			return fail(http.StatusTooManyRequests, err)
		}
	}
	sess, err := s.Auth.Login(r.Context(), form.Email, r.PostFormValue("password"))
	if err != nil {
		return fail(statusOf(vidivo.ErrorCode(err)), err)
	}
	s.setSession(w, sess)
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) handleSignupForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := s.caller(w, r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	role := vidivo.RoleHost
	if r.URL.Query().Get("role") == string(vidivo.RoleClient) {
		role = vidivo.RoleClient
	}
	q := r.URL.Query()
	s.render(w, r, http.StatusOK, "signup", view{Title: "Sign up", Data: accountForm{Next: next, Role: role,
		Email: q.Get("email"), DisplayName: q.Get("name")}})
	return nil
}

func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	in := vidivo.Signup{Email: r.PostFormValue("email"), Password: r.PostFormValue("password"),
		Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"),
		Role: vidivo.Role(r.PostFormValue("role"))}
	form := accountForm{Next: safeNext(r.PostFormValue("next")), Email: in.Email, Username: in.Username,
		DisplayName: in.DisplayName, Role: in.Role}
	fail := func(status int, err error) error {
		form.Error, form.Fields = formError(err)
		s.render(w, r, status, "signup", view{Title: "Sign up", Data: form})
		return nil
	}
	if s.Limiter != nil {
		if err := s.Limiter.LimitSignup(w, r); err != nil {
			return fail(http.StatusTooManyRequests, err)
		}
	}
	sess, err := s.Auth.Signup(r.Context(), in)
	if err != nil {
		return fail(statusOf(vidivo.ErrorCode(err)), err)
	}
	s.setSession(w, sess)
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	dest := "/"
	if caller, ok := s.caller(w, r); ok {
		if rc, err := r.Cookie(cookieRefresh); err == nil {
			dest = s.ssoLogoutURL(r.Context(), rc.Value)
			if err := s.Auth.Logout(r.Context(), caller, rc.Value); err != nil {
				s.Logger.WarnContext(r.Context(), "log out", "err", err)
			}
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// loginURL is the log-in page that comes back to next afterwards.
func loginURL(next string) string { return "/login?next=" + url.QueryEscape(safeNext(next)) }
