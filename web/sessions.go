package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// Hosts schedule group sessions and hand out each participant's entry
// link from these pages; the sessions service does the work.

// sessionGuestRows is how many guest rows the schedule form offers: the
// host is the sixth participant.
const sessionGuestRows = vidivo.MaxSessionParticipants - 1

// sessionsUpcomingLimit bounds the list of upcoming sessions.
const sessionsUpcomingLimit = 50

func (s *Server) hostSessionRoutes(m *http.ServeMux) {
	if s.Sessions == nil {
		return
	}
	m.Handle("GET /sessions", s.page(s.handleSessions))
	m.Handle("POST /sessions", s.page(s.handleSessionCreate))
	m.Handle("GET /sessions/{id}", s.page(s.handleHostSession))
	m.Handle("POST /sessions/{id}", s.page(s.handleHostSessionUpdate))
	m.Handle("POST /sessions/{id}/cancel", s.page(s.handleHostSessionCancel))
	m.Handle("POST /sessions/{id}/participants/{pid}/remove", s.page(s.handleHostSessionRemove))
	m.Handle("POST /sessions/{id}/participants/{pid}/reissue", s.page(s.handleHostSessionReissue))
}

// sessionsView is /sessions: the host's upcoming sessions and the form
// that schedules one.
type sessionsView struct {
	Days []sessionDay
	Form sessionForm
}

// sessionDay is one day of the host's calendar, in their zone.
type sessionDay struct {
	Day      string
	Sessions []sessionRow
}

// sessionRow is one session in the host's calendar.
type sessionRow struct {
	ID, Name, Times, State string
	People                 int
}

// sessionForm is the schedule form as typed, with what was wrong.
type sessionForm struct {
	Name, Date, Start, Duration string
	// Zone is where the date and time are typed: the host's.
	Zone     string
	Guests   []guestRow
	Error    string
	Problems []string
}

// guestRow is one guest line of the form.
type guestRow struct {
	N                int
	Name, Email, Fee string
	CoHost           bool
	Problem          string
}

func newSessionForm() sessionForm {
	f := sessionForm{Duration: "60"}
	for i := range sessionGuestRows {
		f.Guests = append(f.Guests, guestRow{N: i + 1})
	}
	return f
}

// stateLabel is a session's state for people.
func stateLabel(st vidivo.SessionState) string {
	switch st {
	case vidivo.SessionInProgress:
		return "in progress"
	default:
		return string(st)
	}
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	return s.renderSessions(w, r, http.StatusOK, u, newSessionForm())
}

func (s *Server) renderSessions(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, f sessionForm) error {
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	now := s.now()
	// Sessions last at most the longest allowed: one that started that
	// long ago may still be running.
	list, _, err := s.Sessions.List(r.Context(), callerOf(u), vidivo.SessionFilter{Start: now.Add(-vidivo.MaxSessionLength),
		Limit: sessionsUpcomingLimit})
	if err != nil {
		return err
	}
	f.Zone = loc.String()
	v := sessionsView{Form: f}
	for _, sess := range list {
		if sess.EndTime.Before(now) && sess.State != vidivo.SessionInProgress {
			continue
		}
		start := sess.StartTime.In(loc)
		day := start.Format("Monday 2 January 2006")
		if len(v.Days) == 0 || v.Days[len(v.Days)-1].Day != day {
			v.Days = append(v.Days, sessionDay{Day: day})
		}
		d := &v.Days[len(v.Days)-1]
		d.Sessions = append(d.Sessions, sessionRow{ID: sess.ID, Name: sess.Name, State: stateLabel(sess.State),
			Times: clockTime(sess.StartTime, loc) + "–" + clockTime(sess.EndTime, loc), People: len(sess.Participants)})
	}
	s.render(w, r, status, "sessions", view{Title: "Group sessions", User: u, Data: v})
	return nil
}

// readSessionForm reads the posted form into what it says and the
// session it asks for; problems it can tell alone (a date that is not
// one) are in the form.
func readSessionForm(r *http.Request, u *vidivo.User, loc *time.Location) (sessionForm, vidivo.SessionInput, []int) {
	f := readSessionTimes(r)
	in := vidivo.SessionInput{Name: f.Name,
		Participants: []vidivo.ParticipantInput{{DisplayName: u.DisplayName, Role: vidivo.ParticipantHost, Email: u.Email}}}
	in.StartTime, in.EndTime = f.times(loc)
	// rows[i] is the form row of participant i (the host is row 0).
	rows := []int{0}
	for i := range sessionGuestRows {
		n := strconv.Itoa(i + 1)
		g := guestRow{N: i + 1, Name: r.PostFormValue("name_" + n), Email: strings.TrimSpace(r.PostFormValue("email_" + n)),
			Fee: strings.TrimSpace(r.PostFormValue("fee_" + n)), CoHost: r.PostFormValue("cohost_"+n) == "on"}
		f.Guests = append(f.Guests, g)
		if strings.TrimSpace(g.Name) == "" && g.Email == "" && g.Fee == "" {
			continue
		}
		p := vidivo.ParticipantInput{DisplayName: g.Name, Email: g.Email, Role: vidivo.ParticipantGuest}
		if g.CoHost {
			p.Role = vidivo.ParticipantHost
		}
		if g.Fee != "" {
			fee, ok := vidivo.ParseMoney(g.Fee)
			if !ok {
				f.Guests[i].Problem = "Fee: enter an amount such as 25.00."
				continue
			}
			p.Fee = fee
		}
		in.Participants = append(in.Participants, p)
		rows = append(rows, i+1)
	}
	return f, in, rows
}

// readSessionTimes reads the name and time fields the schedule and the
// edit forms share.
func readSessionTimes(r *http.Request) sessionForm {
	return sessionForm{Name: r.PostFormValue("session_name"), Date: strings.TrimSpace(r.PostFormValue("date")),
		Start: strings.TrimSpace(r.PostFormValue("start")), Duration: strings.TrimSpace(r.PostFormValue("duration_minutes"))}
}

// times reads the form's date, start and length in loc as UTC times;
// what it can't read is among the form's problems (zero times then).
func (f *sessionForm) times(loc *time.Location) (time.Time, time.Time) {
	start, err := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Start, loc)
	if err != nil {
		f.Problems = append(f.Problems, "Start: enter a date and a time.")
		return time.Time{}, time.Time{}
	}
	minutes, err := strconv.Atoi(f.Duration)
	if err != nil || minutes <= 0 {
		f.Problems = append(f.Problems, "Length: enter the number of minutes.")
		return time.Time{}, time.Time{}
	}
	return start.UTC(), start.Add(time.Duration(minutes) * time.Minute).UTC()
}

// explain puts a refusal's field messages on the form: a participant's
// on its row, the rest above the form.
func (f *sessionForm) explain(err error, rows []int) {
	msg, fields := formError(err)
	f.Error = msg
	for field, problem := range fields {
		if i, rest, ok := participantField(field); ok && i > 0 && i < len(rows) {
			f.Guests[rows[i]-1].Problem = rest + " " + problem
			continue
		}
		f.Problems = append(f.Problems, field+" "+problem)
	}
	sort.Strings(f.Problems)
}

// participantField splits "participants[2].email" into 2 and "email".
func participantField(field string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, "participants[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	return i, strings.TrimPrefix(rest, "."), true
}

func (f *sessionForm) failed() bool {
	if len(f.Problems) > 0 {
		return true
	}
	for _, g := range f.Guests {
		if g.Problem != "" {
			return true
		}
	}
	return false
}

func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	f, in, rows := readSessionForm(r, u, loc)
	if f.failed() {
		f.Error = "Some of the session's details need a look."
		return s.renderSessions(w, r, http.StatusBadRequest, u, f)
	}
	sess, err := s.Sessions.Create(r.Context(), callerOf(u), in)
	if err != nil {
		code := vidivo.ErrorCode(err)
		if code != vidivo.EVALIDATION && code != vidivo.ECONFLICT && code != vidivo.EFORBIDDEN {
			return err
		}
		f.explain(err, rows)
		return s.renderSessions(w, r, statusOf(code), u, f)
	}
	http.Redirect(w, r, "/sessions/"+sess.ID+"?done=created", http.StatusSeeOther)
	return nil
}

// hostSessionView is /sessions/{id}: one session with each participant's
// entry link, for the hosts who manage it.
type hostSessionView struct {
	ID, Name, When, Zone, State string
	// Open is whether the session can still change (scheduled).
	Open         bool
	Participants []participantRow
	Notice       string
	// Edit is the form that changes the name and times.
	Edit sessionForm
}

// participantRow is one participant on the session's page.
type participantRow struct {
	ID, Name, Email, Role, EntryURL string
	Fee                             vidivo.Money
	FeeState                        string
	Guest                           bool
}

var hostSessionNotices = map[string]string{
	"created":  "The session is scheduled. Send each participant their own link.",
	"canceled": "The session is canceled; every fee paid was refunded.",
	"removed":  "The participant is removed; a fee they paid was refunded.",
	"reissued": "A new link is ready; the old one no longer opens the session.",
	"saved":    "The session is changed; participants with an email get the new invite.",
}

func (s *Server) handleHostSession(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	sess, err := s.Sessions.Get(r.Context(), callerOf(u), r.PathValue("id"))
	if err != nil {
		return err
	}
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	start := sess.StartTime.In(loc)
	edit := sessionForm{Name: sess.Name, Date: start.Format("2006-01-02"), Start: start.Format("15:04"),
		Duration: strconv.Itoa(int(sess.EndTime.Sub(sess.StartTime) / time.Minute))}
	return s.renderHostSession(w, r, http.StatusOK, u, sess, edit)
}

func (s *Server) renderHostSession(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, sess *vidivo.Session, edit sessionForm) error {
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	v := hostSessionView{ID: sess.ID, Name: sess.Name, When: whenLabel(sess.StartTime, sess.EndTime, loc), Zone: loc.String(),
		State: stateLabel(sess.State), Open: sess.State == vidivo.SessionScheduled,
		Notice: hostSessionNotices[r.URL.Query().Get("done")], Edit: edit}
	v.Edit.Zone = loc.String()
	manage := s.Sessions.CanManage(callerOf(u), sess)
	for _, p := range sess.Participants {
		v.Participants = append(v.Participants, s.participantRow(p, manage))
	}
	s.render(w, r, status, "host-session", view{Title: sess.Name, User: u, Data: v})
	return nil
}

// participantRow is p as the session's page shows it: the entry link
// only to those who manage the session.
func (s *Server) participantRow(p *vidivo.SessionParticipant, manage bool) participantRow {
	row := participantRow{ID: p.ID, Name: p.DisplayName, Email: p.Email, Role: string(p.Role), Fee: p.Fee,
		Guest: p.Role == vidivo.ParticipantGuest}
	if manage {
		row.EntryURL = s.Sessions.EntryURLOf(p)
	}
	switch {
	case p.Fee == 0:
	case p.Payment != nil && p.Payment.Status == vidivo.PaymentRefunded:
		row.FeeState = "refunded"
	case p.Paid():
		row.FeeState = "paid"
	default:
		row.FeeState = "not paid yet"
	}
	return row
}

// handleHostSessionUpdate changes a scheduled session's name and times.
func (s *Server) handleHostSessionUpdate(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	sess, err := s.Sessions.Get(r.Context(), callerOf(u), r.PathValue("id"))
	if err != nil {
		return err
	}
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	f := readSessionTimes(r)
	start, end := f.times(loc)
	if f.failed() {
		f.Error = "The change needs a look."
		return s.renderHostSession(w, r, http.StatusBadRequest, u, sess, f)
	}
	_, err = s.Sessions.Update(r.Context(), callerOf(u), sess.ID, vidivo.SessionUpdate{Name: &f.Name, StartTime: &start, EndTime: &end})
	if code := vidivo.ErrorCode(err); code == vidivo.EVALIDATION || code == vidivo.ECONFLICT {
		f.explain(err, nil)
		return s.renderHostSession(w, r, statusOf(code), u, sess, f)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/sessions/"+sess.ID+"?done=saved", http.StatusSeeOther)
	return nil
}

// hostSessionAction runs a host's change to a session and returns to its
// page with what happened.
func (s *Server) hostSessionAction(w http.ResponseWriter, r *http.Request, done string, act func(vidivo.Caller, string) error) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	if err := act(callerOf(u), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/sessions/"+id+"?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) handleHostSessionCancel(w http.ResponseWriter, r *http.Request) error {
	return s.hostSessionAction(w, r, "canceled", func(c vidivo.Caller, id string) error {
		_, err := s.Sessions.Cancel(r.Context(), c, id)
		return err
	})
}

func (s *Server) handleHostSessionRemove(w http.ResponseWriter, r *http.Request) error {
	return s.hostSessionAction(w, r, "removed", func(c vidivo.Caller, id string) error {
		return s.Sessions.RemoveParticipant(r.Context(), c, id, r.PathValue("pid"))
	})
}

func (s *Server) handleHostSessionReissue(w http.ResponseWriter, r *http.Request) error {
	return s.hostSessionAction(w, r, "reissued", func(c vidivo.Caller, id string) error {
		_, err := s.Sessions.Reissue(r.Context(), c, id, r.PathValue("pid"))
		return err
	})
}
