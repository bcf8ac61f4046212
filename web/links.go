package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/hosts"
)

// maxListedLinks is how many active links the dashboard lists; a host
// with more deletes some or uses the API's paged list.
const maxListedLinks = 100

// defaultWindow is the form's billing window before the host picks one.
const defaultWindow = "10"

// linkForm is the create-link form as typed, and what was wrong with it.
type linkForm struct {
	Rate, Window, ExpiresAt, MaxUses, Label string
	// TZOffset is the browser's offset from UTC at ExpiresAt in minutes,
	// as JavaScript's getTimezoneOffset gives it (its script fills it in).
	TZOffset string
	Error    string
	Fields   map[string]string
}

func newLinkForm() linkForm { return linkForm{Window: defaultWindow} }

// linkView is one of the host's links as the dashboard lists it.
type linkView struct {
	ID, Code, URL, Label string
	Rate                 vidivo.Money
	Window               int
	ExpiresAt            string
	Uses                 string
	State                string
	Usable               bool
}

// dateTimeLocal is the value format of <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

// input reads the form into the domain's link input. Fields that do not
// parse are reported against their names; the domain checks the rest, so
// the page and POST /v1/links refuse the same links.
func (f *linkForm) input() (vidivo.LinkInput, []vidivo.FieldError) {
	in := vidivo.LinkInput{Rate: strings.TrimSpace(f.Rate)}
	var errs []vidivo.FieldError
	if n, err := strconv.Atoi(strings.TrimSpace(f.Window)); err == nil {
		in.WindowMinutes = n
	} else {
		errs = append(errs, vidivo.FieldError{Field: "window_size_minutes", Issue: vidivo.CheckWindow(0)})
	}
	if v := strings.TrimSpace(f.MaxUses); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: "max_uses", Issue: "must be a whole number from 1 to 1000000, or empty for unlimited"})
		}
		in.MaxUses = &n
	}
	if v := strings.TrimSpace(f.ExpiresAt); v != "" {
		t, ok := parseLocalTime(v, f.TZOffset)
		if !ok {
			errs = append(errs, vidivo.FieldError{Field: "expires_at", Issue: "must be a date and time such as 2026-03-22 18:00"})
		}
		in.ExpiresAt = &t
	}
	if f.Label != "" {
		in.Label = &f.Label
	}
	return in, errs
}

// withDomainErrors adds the domain's verdict on the fields that did parse
// to errs, so one submission reports every bad field.
func withDomainErrors(errs []vidivo.FieldError, in vidivo.LinkInput, hostID string, now time.Time) []vidivo.FieldError {
	seen := map[string]bool{}
	for _, e := range errs {
		seen[e.Field] = true
	}
	_, err := in.Validate(hostID, now)
	var ve *vidivo.Error
	if !errors.As(err, &ve) {
		return errs
	}
	for _, d := range ve.Details {
		if !seen[d.Field] {
			errs = append(errs, d)
		}
	}
	return errs
}

// parseLocalTime reads a datetime-local value at the browser's offset
// (minutes behind UTC, JavaScript's sign); without one it is UTC.
func parseLocalTime(v, offset string) (time.Time, bool) {
	t, err := time.Parse(dateTimeLocal, v)
	if err != nil {
		return time.Time{}, false
	}
	if offset == "" {
		return t, true
	}
	min, err := strconv.Atoi(offset)
	if err != nil || min < -14*60 || min > 14*60 {
		return time.Time{}, false
	}
	return t.Add(time.Duration(min) * time.Minute), true
}

func (s *Server) handleLinkCreate(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	f := linkForm{Rate: r.PostFormValue("rate_per_minute"), Window: r.PostFormValue("window_size_minutes"),
		ExpiresAt: r.PostFormValue("expires_at"), MaxUses: r.PostFormValue("max_uses"), Label: r.PostFormValue("label"),
		TZOffset: r.PostFormValue("tz_offset")}
	in, errs := f.input()
	if len(errs) > 0 {
		return s.failLinkForm(w, r, u, f, vidivo.Invalid(withDomainErrors(errs, in, u.ID, s.now())...))
	}
	l, err := s.hosts().CreateLink(r.Context(), u.ID, in)
	if err != nil {
		return s.failLinkForm(w, r, u, f, err)
	}
	http.Redirect(w, r, "/dashboard?done=created#link-"+l.ShortCode, http.StatusSeeOther)
	return nil
}

// failLinkForm shows the dashboard again with the form as typed and its
// problems beside their fields, at the error's status (400, or 402 for a
// host without payouts); nothing was stored.
func (s *Server) failLinkForm(w http.ResponseWriter, r *http.Request, u *vidivo.User, f linkForm, err error) error {
	code := vidivo.ErrorCode(err)
	if code == "" || code == vidivo.EINTERNAL {
		return err
	}
	dv, lerr := s.dashboard(r, u)
	if lerr != nil {
		return lerr
	}
	f.Error, f.Fields = formError(err)
	for k, issue := range f.Fields {
		f.Fields[k] = fieldSentence(issue)
	}
	if code == vidivo.EVALIDATION {
		f.Error = "The link was not created. Please correct the fields marked below."
	}
	dv.Form = f
	s.renderDashboard(w, r, statusOf(code), u, dv)
	return nil
}

// fieldSentence starts an issue ("must be …") with a capital letter, as the
// page shows it under its field.
func fieldSentence(issue string) string {
	if issue == "" {
		return ""
	}
	return strings.ToUpper(issue[:1]) + issue[1:]
}

func (s *Server) handleLinkDelete(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	if !vidivo.IsID(id) {
		return s.failDashboard(w, r, u, vidivo.Errorf(vidivo.ENOTFOUND, "link not found"))
	}
	if err := s.hosts().DeleteLink(r.Context(), callerOf(u), id); err != nil {
		return s.failDashboard(w, r, u, err)
	}
	http.Redirect(w, r, "/dashboard?done=deleted#links", http.StatusSeeOther)
	return nil
}

// hosts is the hosts service (the API's rules for links and payouts) over
// the pages' stores and gateway.
func (s *Server) hosts() *hosts.Service {
	return &hosts.Service{Users: s.Users, Links: s.Links, Payouts: s.Payouts, Gateway: s.Gateway, PublicURL: s.PublicURL, Now: s.now}
}

// hostLinks lists the host's active links, newest first.
func (s *Server) hostLinks(r *http.Request, hostID string) ([]linkView, error) {
	active := true
	page, err := s.Links.Links(r.Context(), vidivo.LinkFilter{HostID: hostID, Active: &active, Limit: maxListedLinks})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]linkView, 0, len(page.Links))
	for _, l := range page.Links {
		out = append(out, s.newLinkView(l, now))
	}
	return out, nil
}

func (s *Server) newLinkView(l *vidivo.Link, now time.Time) linkView {
	v := linkView{ID: l.ID, Code: l.ShortCode, URL: s.PublicURL + "/c/" + l.ShortCode, Rate: l.Rate, Window: l.WindowMinutes,
		Uses: strconv.Itoa(l.UseCount)}
	if l.Label != nil {
		v.Label = *l.Label
	}
	if l.ExpiresAt != nil {
		v.ExpiresAt = l.ExpiresAt.UTC().Format(humanTime)
	}
	if l.MaxUses != nil {
		v.Uses += " of " + strconv.Itoa(*l.MaxUses)
	}
	switch l.State(now) {
	case vidivo.LinkUsable:
		v.State, v.Usable = "Open", true
	case vidivo.LinkExpired:
		v.State = "Expired"
	case vidivo.LinkExhausted:
		v.State = "Used up"
	case vidivo.LinkNotOpen:
		v.State = "Opens " + l.ScheduledStart.UTC().Format(humanTime)
	default:
		v.State = "Deleted"
	}
	return v
}

// humanTime is how pages show a time: in UTC, said so.
const humanTime = "2 Jan 2006 15:04 UTC"
