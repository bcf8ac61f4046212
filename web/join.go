package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
)

// cookieGuest holds a guest's call-scoped token, sent only to the pages of
// that call (Path=/call/{id}).
const cookieGuest = "vidivo_guest"

// setupIntents is what a gateway offers whose cards are collected in the
// browser (Stripe): an unconfirmed SetupIntent for off-session use, whose
// client secret Stripe.js confirms, so no card number reaches us.
type setupIntents interface {
	CreateSetupIntent(ctx context.Context, idempotencyKey string, metadata map[string]string) (clientSecret string, err error)
}

// publicLimiter applies the API's limit on anonymous requests (joins by
// link among them), so the join page is no way around it.
type publicLimiter interface {
	LimitPublic(w http.ResponseWriter, r *http.Request) error
}

// testCard is a sandbox payment method the join page offers.
type testCard struct {
	Value, Label string
}

// testCards are the sandbox's test cards the join page offers, named as
// Stripe names them.
var testCards = []testCard{
	{"pm_card_visa", "Succeeds"},
	{"pm_card_chargeDeclined", "Declined"},
	{"pm_card_insufficientFunds", "Insufficient funds"},
}

// hostView is a link's host as the join page shows them.
type hostView struct {
	Name      string
	Initials  string
	AvatarURL string
}

func newHostView(u *vidivo.User) hostView {
	h := hostView{Name: u.DisplayName}
	for _, w := range strings.Fields(u.DisplayName) {
		if len([]rune(h.Initials)) < 2 {
			h.Initials += strings.ToUpper(string([]rune(w)[:1]))
		}
	}
	if u.AvatarURL != nil && strings.HasPrefix(*u.AvatarURL, "https://") {
		h.AvatarURL = *u.AvatarURL
	}
	return h
}

// joinView is the join page's data: the link's price in plain words and
// the form as it was sent, with what was wrong.
type joinView struct {
	Code   string
	Host   hostView
	Label  string
	Rate   vidivo.Money
	Window int
	// Hold is what the first window holds on the card.
	Hold vidivo.Money
	// Sandbox offers test cards; StripeKey mounts Stripe's Payment
	// Element; with neither, cards cannot be taken.
	Sandbox   bool
	StripeKey string
	TestCards []testCard
	Name      string
	Card      string
	Error     string
	Fields    map[string]string
}

// cardStep is the card step's data (templates/_card.html), shared by the
// join page and the booking pages.
type cardStep struct {
	Sandbox   bool
	StripeKey string
	TestCards []testCard
	// Card is the test card selected.
	Card     string
	HostName string
	// SetupURL answers the Payment Element's SetupIntent.
	SetupURL string
}

// CardStep is the join page's card step.
func (v joinView) CardStep() cardStep {
	return cardStep{Sandbox: v.Sandbox, StripeKey: v.StripeKey, TestCards: v.TestCards, Card: v.Card,
		HostName: v.Host.Name, SetupURL: "/c/" + v.Code + "/setup-intent"}
}

// closedView explains why a link cannot start a call.
type closedView struct {
	Heading string
	Message string
	Host    string
	// OpensAt is set for a link that is not open yet.
	OpensAt *time.Time
}

func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request) error {
	l, host, err := s.joinableLink(w, r)
	if err != nil || l == nil {
		return err
	}
	jv := s.newJoinView(l, host)
	if u := s.optionalUser(w, r); u != nil {
		jv.Name = u.DisplayName
	}
	s.renderJoin(w, r, http.StatusOK, jv)
	return nil
}

// joinableLink loads the link of the request's code. A link that cannot
// start a call has its explanatory page rendered, and l is nil.
func (s *Server) joinableLink(w http.ResponseWriter, r *http.Request) (*vidivo.Link, *vidivo.User, error) {
	code := r.PathValue("code")
	var (
		l    *vidivo.Link
		host *vidivo.User
		err  error
	)
	if vidivo.IsShortCode(code) {
		l, host, err = s.Links.LinkWithHost(r.Context(), code)
	}
	if l == nil && (err == nil || vidivo.ErrorCode(err) == vidivo.ENOTFOUND) {
		s.renderClosed(w, r, http.StatusNotFound, closedView{Heading: "No call link here",
			Message: "There is no call link at this address. Check that you copied the whole link."})
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if state := l.State(s.now()); state != vidivo.LinkUsable {
		s.renderClosedLink(w, r, l, host, state)
		return nil, nil, nil
	}
	return l, host, nil
}

// renderClosedLink explains a link in state, with the status the API
// answers for it (GET /v1/links/{code}): 404 for a deleted link, 410 for
// an expired or used-up one. A link that is not open yet is still shown
// by the API (200), and its page says when it opens.
func (s *Server) renderClosedLink(w http.ResponseWriter, r *http.Request, l *vidivo.Link, host *vidivo.User, state vidivo.LinkState) {
	cv := closedView{Host: host.DisplayName}
	status := statusOf(vidivo.ErrorCode(state.ViewError()))
	switch state {
	case vidivo.LinkDeleted:
		cv.Heading, cv.Message = "This link was deleted", host.DisplayName+" has deleted this call link, so it cannot start calls any more."
	case vidivo.LinkExpired:
		cv.Heading, cv.Message = "This link has expired", "This call link expired and cannot start calls any more."
		if l.ScheduledEnd != nil && !s.now().Before(*l.ScheduledEnd) {
			cv.Heading, cv.Message = "This call's time is over", "This link was for a call that ended at "+
				l.ScheduledEnd.Format("15:04 MST on Monday 2 January 2006")+"."
		}
	case vidivo.LinkExhausted:
		cv.Heading, cv.Message = "This link has been used up", "This call link has been used as many times as "+
			host.DisplayName+" allowed."
	case vidivo.LinkNotOpen:
		// The join answers 404 until the link opens, as the API's join
		// does; the page says when to come back.
		status = http.StatusNotFound
		cv.Heading, cv.OpensAt = "This call has not started yet", l.ScheduledStart
		cv.Message = "This link opens at " + l.ScheduledStart.Format("15:04 MST on Monday 2 January 2006") +
			". Come back then to pay and join."
	}
	s.renderClosed(w, r, status, cv)
}

func (s *Server) renderClosed(w http.ResponseWriter, r *http.Request, status int, cv closedView) {
	s.render(w, r, status, "link-closed", view{Title: cv.Heading, User: s.optionalUser(w, r), Data: cv})
}

func (s *Server) newJoinView(l *vidivo.Link, host *vidivo.User) joinView {
	jv := joinView{Code: l.ShortCode, Host: newHostView(host), Rate: l.Rate, Window: l.WindowMinutes,
		Hold: billing.WindowAmount(l.Rate, l.WindowMinutes), Sandbox: s.Payments != "stripe", TestCards: testCards,
		Card: testCards[0].Value}
	if l.Label != nil {
		jv.Label = *l.Label
	}
	if !jv.Sandbox {
		jv.StripeKey = s.StripePublishableKey
	}
	return jv
}

func (s *Server) renderJoin(w http.ResponseWriter, r *http.Request, status int, jv joinView) {
	v := view{Title: "Call " + jv.Host.Name, User: s.optionalUser(w, r), Script: "join.js", Data: jv,
		Main: map[string]string{"code": jv.Code}}
	if jv.StripeKey != "" {
		v.Main["stripe-key"] = jv.StripeKey
	}
	s.render(w, r, status, "join", v)
}

// handleJoin is the join form: the first hold is placed on the card, the
// call starts, and the browser keeps the guest's call-scoped token in a
// cookie before going to the call. A refused card shows the page again
// with the reason (402); nothing is created.
func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	l, host, err := s.joinableLink(w, r)
	if err != nil || l == nil {
		return err
	}
	jv := s.newJoinView(l, host)
	jv.Name, jv.Card = r.PostFormValue("guest_name"), r.PostFormValue("payment_method_id")
	fail := func(err error) error {
		jv.Error, jv.Fields = joinMessage(err)
		s.renderJoin(w, r, statusOf(vidivo.ErrorCode(err)), jv)
		return nil
	}
	if pl, ok := s.Limiter.(publicLimiter); ok {
		if err := pl.LimitPublic(w, r); err != nil {
			return fail(err)
		}
	}
	req := calls.JoinRequest{ShortCode: l.ShortCode, PaymentMethodID: jv.Card}
	if name := strings.TrimSpace(jv.Name); name != "" {
		req.GuestName = &name
	}
	if caller, ok := s.caller(w, r); ok {
		req.UserID = caller.Subject
	}
	c, _, err := s.Calls.Join(r.Context(), req)
	switch code := vidivo.ErrorCode(err); {
	case code == vidivo.ENOTFOUND || code == vidivo.ECONFLICT:
		// The link closed since the page was shown: explain how.
		if l, _, rerr := s.joinableLink(w, r); rerr != nil || l == nil {
			return rerr
		}
		return fail(err)
	case code == vidivo.EINTERNAL || (err != nil && code == ""):
		return err
	case err != nil:
		return fail(err)
	}
	tok, ttl, err := s.GuestTokens.Issue(vidivo.Caller{Subject: c.GuestID, Role: vidivo.RoleGuest, CallID: c.ID})
	if err != nil {
		return err
	}
	s.setCookie(w, cookieGuest, tok, callPath(c.ID), ttl)
	http.Redirect(w, r, callPath(c.ID), http.StatusSeeOther)
	return nil
}

func callPath(id string) string { return "/call/" + id }

// declineWords says a gateway's reason for refusing a card in plain words.
var declineWords = map[string]string{
	"card_declined":           "Your card was declined. Try another card.",
	"insufficient_funds":      "Your card has insufficient funds for the hold. Try another card.",
	"expired_card":            "Your card has expired. Try another card.",
	"incorrect_cvc":           "The card's security code is wrong. Check it, or try another card.",
	"lost_card":               "Your card was declined. Try another card.",
	"stolen_card":             "Your card was declined. Try another card.",
	"fraudulent":              "Your card was declined. Try another card.",
	"authentication_required": "Your bank asks to confirm this payment, which this page cannot do. Try another card.",
	"resource_missing":        "We could not find that card. Enter it again.",
	"gateway_unavailable":     "The payments provider is not answering. Nothing was charged; try again in a moment.",
}

// cardRefusal says in plain words why a card was refused (a decline, or
// no usable card chosen), ending with what did not happen; ok is false
// when err is about something else.
// A decline names no field to mark; a missing card marks the card's.
func cardRefusal(e *vidivo.Error, msg string, fields map[string]string, nothingHappened string) (string, map[string]string, bool) {
	switch e.Code {
	case vidivo.ESTRIPE, vidivo.EPAYMENTFAILED:
		reason := ""
		for _, d := range e.Details {
			reason = d.Issue
		}
		if words, ok := declineWords[reason]; ok {
			return words + " " + nothingHappened, nil, true
		}
		return "Your card was not accepted (" + msg + "). " + nothingHappened, nil, true
	case vidivo.EVALIDATION:
		if issue, ok := fields["payment_method_id"]; ok {
			return "Choose a card: it " + issue + ".", fields, true
		}
	}
	return "", nil, false
}

// joinMessage is what the join page says about a refused join, and the
// problem of each field.
func joinMessage(err error) (string, map[string]string) {
	var e *vidivo.Error
	if !errors.As(err, &e) {
		return "Something went wrong on our side. Please try again in a moment.", nil
	}
	msg, fields := formError(err)
	if words, marked, ok := cardRefusal(e, msg, fields, "No call was started and nothing was charged."); ok {
		return words, marked
	}
	switch e.Code {
	case vidivo.EVALIDATION:
		return "Please correct the form.", fields
	}
	return msg, fields
}

// handleSetupIntent answers POST /c/{code}/setup-intent for the join
// page's Stripe Payment Element: a fresh SetupIntent's client secret.
func (s *Server) handleSetupIntent(w http.ResponseWriter, r *http.Request) {
	si, ok := s.Gateway.(setupIntents)
	code := r.PathValue("code")
	err := s.checkCSRF(r)
	switch {
	case err != nil:
	case !ok || s.Payments != "stripe":
		err = vidivo.Errorf(vidivo.ENOTFOUND, "this server does not take cards in the browser")
	case !vidivo.IsShortCode(code):
		err = vidivo.Errorf(vidivo.ENOTFOUND, "link not found")
	}
	if err == nil {
		if pl, ok := s.Limiter.(publicLimiter); ok {
			err = pl.LimitPublic(w, r)
		}
	}
	var l *vidivo.Link
	if err == nil {
		if l, err = s.Links.LinkByShortCode(r.Context(), code); err == nil {
			if state := l.State(s.now()); state != vidivo.LinkUsable {
				err = vidivo.Errorf(vidivo.ENOTFOUND, "this call link is not open")
			}
		}
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	s.writeSetupIntent(w, r, si, "setup/"+l.ShortCode, map[string]string{"short_code": l.ShortCode})
}

// writeSetupIntent answers a fresh SetupIntent's client secret, its
// idempotency key prefix plus a random part (each card form is its own
// attempt); the booking pages share it.
func (s *Server) writeSetupIntent(w http.ResponseWriter, r *http.Request, si setupIntents, prefix string, meta map[string]string) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	secret, err := si.CreateSetupIntent(r.Context(), prefix+"/"+hex.EncodeToString(b), meta)
	if err != nil {
		s.Logger.WarnContext(r.Context(), "create setup intent", "err", err)
		s.writeJSONError(w, r, vidivo.Errorf(vidivo.ESTRIPE, "the payments provider is not answering; try again in a moment"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"client_secret": secret})
}
