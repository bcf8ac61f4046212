package vidivo

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// SessionState is where a scheduled group session is in its life:
//
//	scheduled → in_progress → ended      scheduled → canceled
//
// in_progress and ended follow presence in the room (the signaling side
// marks them); canceled is the hosts' decision and refunds every fee.
type SessionState string

const (
	SessionScheduled  SessionState = "scheduled"
	SessionInProgress SessionState = "in_progress"
	SessionEnded      SessionState = "ended"
	SessionCanceled   SessionState = "canceled"
)

// ParticipantRole is a participant's part in a session: hosts manage it
// and enter directly; guests are admitted.
type ParticipantRole string

const (
	ParticipantHost  ParticipantRole = "host"
	ParticipantGuest ParticipantRole = "guest"
)

// Limits and timings of sessions.
const (
	// MaxSessionParticipants caps a session's participants (a full mesh of
	// browsers; the database enforces it too).
	MaxSessionParticipants = 6
	// MaxSessionLength is the longest a session may be scheduled for.
	MaxSessionLength = 8 * time.Hour
	// SessionEarlyEntry is how long before the start an entry URL opens:
	// the same rule as for joining a booked call.
	SessionEarlyEntry = JoinEarly
	// MaxSessionNameLen and MaxSessionPictureLen bound the texts.
	MaxSessionNameLen    = 200
	MaxSessionPictureLen = 2048
	// MaxSessionFee bounds one participant's fee ($10,000).
	MaxSessionFee Money = 1_000_000
)

// Session is a scheduled group call with its participants.
type Session struct {
	ID      string
	Name    string
	Picture string
	// HostID is the account that created the session: fees are paid out
	// to it, and it manages the session with the other host participants
	// that have accounts.
	HostID    string
	StartTime time.Time
	EndTime   time.Time
	State     SessionState
	// Sequence counts changes to the invites (the .ics SEQUENCE).
	Sequence     int
	Participants []*SessionParticipant
	StartedAt    *time.Time
	EndedAt      *time.Time
	CanceledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SessionParticipant is one person invited to a session, with their own
// entry URL (stored only as a hash) and, for a guest with a fee, their
// payment.
type SessionParticipant struct {
	ID          string
	SessionID   string
	DisplayName string
	Email       string
	Role        ParticipantRole
	// UserID is the account of a host participant whose email is an
	// account's; such hosts manage the session.
	UserID string
	// Fee is what the participant pays before joining; 0 means none.
	Fee Money
	// TokenHash is the hash of the current entry token; EntrySalt is the
	// random part it was derived from (the service can write the URL into
	// later invites; neither lets anyone enter without its key).
	TokenHash string
	EntrySalt string
	// JoinGeneration counts joins: each join replaces the previous
	// device, whose signaling token names an older generation.
	JoinGeneration int64
	// Payment is the participant's captured (or refunded) payment.
	Payment   *SessionPayment
	CreatedAt time.Time
}

// Paid reports whether the participant may enter as far as money goes:
// no fee, or a fee captured and not refunded.
func (p *SessionParticipant) Paid() bool {
	return p.Fee == 0 || (p.Payment != nil && p.Payment.Status == PaymentCaptured)
}

// PaymentStatus is where one attempt to pay a session fee is.
type PaymentStatus string

const (
	PaymentPending  PaymentStatus = "pending"
	PaymentCaptured PaymentStatus = "captured"
	PaymentFailed   PaymentStatus = "failed"
	PaymentRefunded PaymentStatus = "refunded"
)

// SessionPayment is one attempt to pay a participant's fee. At most one
// per participant is pending, captured or refunded (the database's unique
// index): racing payments share it, and its Attempt names the gateway's
// idempotency keys, so they capture once.
type SessionPayment struct {
	ID            string
	SessionID     string
	ParticipantID string
	HostID        string
	Attempt       int
	Status        PaymentStatus
	Amount        Money
	PlatformFee   Money
	HostPayout    Money
	HoldID        string
	PaidAt        *time.Time
	RefundedAt    *time.Time
	CreatedAt     time.Time
}

// SessionEarnings sums a host's session fees: what was paid and kept,
// split into the platform's fee and the host's payout, and what was
// refunded.
type SessionEarnings struct {
	Paid, PlatformFee, HostPayout, Refunded Money
}

// SessionInput is what a host gives to schedule a session.
type SessionInput struct {
	Name         string
	Picture      string
	StartTime    time.Time
	EndTime      time.Time
	Participants []ParticipantInput
}

// ParticipantInput is one invited participant.
type ParticipantInput struct {
	DisplayName string
	Role        ParticipantRole
	Email       string
	Fee         Money
}

// Validate checks a participant; field prefixes where it sits ("" for a
// participant on its own).
func (p ParticipantInput) Validate(field string) []FieldError {
	if field != "" {
		field += "."
	}
	var errs []FieldError
	if fe := CheckText(field+"display_name", p.DisplayName, TextRule{Required: true, Max: 100}); fe != nil {
		errs = append(errs, *fe)
	}
	if p.Role != ParticipantHost && p.Role != ParticipantGuest {
		errs = append(errs, FieldError{field + "role", `must be "host" or "guest"`})
	}
	if p.Email != "" {
		if issue := CheckEmail(p.Email); issue != "" {
			errs = append(errs, FieldError{field + "email", issue})
		}
	}
	if p.Fee < 0 || p.Fee > MaxSessionFee {
		errs = append(errs, FieldError{field + "fee.amount", "must be between 0.00 and " + MaxSessionFee.String()})
	}
	if p.Fee > 0 && p.Role == ParticipantHost {
		errs = append(errs, FieldError{field + "fee", "hosts do not pay a fee"})
	}
	return errs
}

// ValidateSessionTimes checks a session's times at now: the end after the
// start, the start not in the past, at most MaxSessionLength long.
func ValidateSessionTimes(start, end, now time.Time) []FieldError {
	switch {
	case start.IsZero():
		return []FieldError{{"start_time", "is required"}}
	case end.IsZero():
		return []FieldError{{"end_time", "is required"}}
	case start.Before(now):
		return []FieldError{{"start_time", "must not be in the past"}}
	case !end.After(start):
		return []FieldError{{"end_time", "must be after start_time"}}
	case end.Sub(start) > MaxSessionLength:
		return []FieldError{{"end_time", "must be at most 8 hours after start_time"}}
	}
	return nil
}

// checkSessionTexts checks the name and the picture URL.
func checkSessionTexts(name, picture string) []FieldError {
	var errs []FieldError
	if fe := CheckText("session_name", name, TextRule{Required: true, Max: MaxSessionNameLen}); fe != nil {
		errs = append(errs, *fe)
	}
	if picture != "" {
		if fe := CheckText("picture", picture, TextRule{Max: MaxSessionPictureLen}); fe != nil {
			errs = append(errs, *fe)
		} else if u, err := url.Parse(picture); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, FieldError{"picture", "must be an https URL"})
		}
	}
	return errs
}

// Validate checks a new session at now: its texts, times, and between
// one and MaxSessionParticipants participants, at least one a host.
func (in *SessionInput) Validate(now time.Time) error {
	errs := checkSessionTexts(in.Name, in.Picture)
	errs = append(errs, ValidateSessionTimes(in.StartTime, in.EndTime, now)...)
	hosts := 0
	for i, p := range in.Participants {
		errs = append(errs, p.Validate("participants["+strconv.Itoa(i)+"]")...)
		if p.Role == ParticipantHost {
			hosts++
		}
	}
	switch {
	case len(in.Participants) > MaxSessionParticipants:
		errs = append(errs, FieldError{"participants", "must have at most 6 participants"})
	case hosts == 0:
		errs = append(errs, FieldError{"participants", "must include a host"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// SessionUpdate changes a scheduled session; nil fields stay.
type SessionUpdate struct {
	Name      *string
	Picture   *string
	StartTime *time.Time
	EndTime   *time.Time
}

// Apply validates upd against s at now and returns the changed copy's
// fields on s. Only a scheduled session can change.
func (upd SessionUpdate) Apply(s *Session, now time.Time) error {
	if s.State != SessionScheduled {
		return Errorf(ECONFLICT, "the session is %s", s.State)
	}
	name, picture, start, end := s.Name, s.Picture, s.StartTime, s.EndTime
	if upd.Name != nil {
		name = *upd.Name
	}
	if upd.Picture != nil {
		picture = *upd.Picture
	}
	if upd.StartTime != nil {
		start = *upd.StartTime
	}
	if upd.EndTime != nil {
		end = *upd.EndTime
	}
	errs := checkSessionTexts(name, picture)
	if upd.StartTime != nil || upd.EndTime != nil {
		errs = append(errs, ValidateSessionTimes(start, end, now)...)
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	s.Name, s.Picture, s.StartTime, s.EndTime = name, picture, start, end
	return nil
}

// OpensAt is when the session's entry URLs start letting people in.
func (s *Session) OpensAt() time.Time { return s.StartTime.Add(-SessionEarlyEntry) }

// EntryOpen reports whether the session's entry URLs let people in at
// now: from SessionEarlyEntry before the start until the scheduled end,
// and past the end while it is in progress (people stay connected). A
// canceled or ended session, or a scheduled one past its end, is
// ELINKEXPIRED (410); one not yet open is ECONFLICT naming when it opens,
// as scheduled calls answer.
func (s *Session) EntryOpen(now time.Time) error {
	switch {
	case s.State == SessionCanceled:
		return Errorf(ELINKEXPIRED, "this session was canceled")
	case s.State == SessionEnded:
		return Errorf(ELINKEXPIRED, "this session has ended")
	case s.State == SessionInProgress:
		return nil
	case now.Before(s.OpensAt()):
		return Errorf(ECONFLICT, "this session opens at %s", s.OpensAt().UTC().Format(time.RFC3339))
	case !now.Before(s.EndTime):
		return Errorf(ELINKEXPIRED, "this session has ended")
	}
	return nil
}

// ManagedBy reports whether userID manages the session: its creator or a
// host participant with that account.
func (s *Session) ManagedBy(userID string) bool {
	if userID == "" {
		return false
	}
	if s.HostID == userID {
		return true
	}
	for _, p := range s.Participants {
		if p.Role == ParticipantHost && p.UserID == userID {
			return true
		}
	}
	return false
}

// Participant returns the participant with id, or nil.
func (s *Session) Participant(id string) *SessionParticipant {
	for _, p := range s.Participants {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// SessionKey is a session's place in the calendar: by start, then id.
type SessionKey struct {
	StartTime time.Time
	ID        string
}

// SessionFilter selects a page of the calendar: sessions managed by any of
// UserIDs (created by them or with them as a host participant), starting
// in [Start, End), upcoming first, after After.
type SessionFilter struct {
	UserIDs    []string
	Start, End time.Time
	After      *SessionKey
	Limit      int
}

// SessionStore keeps sessions, participants and fee payments. The database
// enforces what races could break: at most MaxSessionParticipants per
// session, one live payment per participant, state changes by
// compare-and-set, webhook events in the change's transaction.
type SessionStore interface {
	// CreateSession stores s with its participants (setting times; IDs
	// and TokenHash must be set) and writes session.created.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with its participants and their live
	// payments; ENOTFOUND if none.
	Session(ctx context.Context, id string) (*Session, error)
	// SessionByEntryToken returns the session and the participant whose
	// current token has hash; ENOTFOUND for an unknown, reissued or
	// removed one.
	SessionByEntryToken(ctx context.Context, hash string) (*Session, *SessionParticipant, error)
	// Sessions returns a page of the calendar and whether more follow.
	Sessions(ctx context.Context, f SessionFilter) ([]*Session, bool, error)
	// UpdateSession stores the changed name, picture and times of a
	// scheduled session and increments its Sequence; ECONFLICT if it is
	// no longer scheduled.
	UpdateSession(ctx context.Context, s *Session) error
	// CancelSession moves a scheduled session to canceled at `at` and
	// writes session.canceled; canceling a canceled session is not an
	// error. ECONFLICT once in progress or ended.
	CancelSession(ctx context.Context, id string, at time.Time) (*Session, error)
	// AddSessionParticipant adds p to a scheduled session; ECONFLICT when
	// it is full or no longer scheduled.
	AddSessionParticipant(ctx context.Context, p *SessionParticipant) error
	// RemoveSessionParticipant removes a participant (its entry URL stops
	// working); ENOTFOUND if none, ECONFLICT if its fee is captured.
	RemoveSessionParticipant(ctx context.Context, sessionID, participantID string) error
	// ReissueEntryToken replaces a participant's token hash and salt (the
	// old URL stops working) and bumps its join generation; ENOTFOUND if
	// none.
	ReissueEntryToken(ctx context.Context, sessionID, participantID, hash, salt string) error
	// NextJoin increments the participant's join generation and returns
	// it: the previous device's signaling token becomes stale.
	NextJoin(ctx context.Context, participantID string) (int64, error)
	// JoinGeneration is the participant's current join generation.
	JoinGeneration(ctx context.Context, participantID string) (int64, error)
	// SetSessionState moves the session by compare-and-set: scheduled →
	// in_progress (StartedAt) and in_progress → ended (EndedAt, writing
	// session.ended). Returns false if it was not in a state to move from.
	SetSessionState(ctx context.Context, id string, to SessionState, at time.Time) (bool, error)

	// StartSessionPayment returns the participant's live payment, or
	// makes a new pending one (attempt = failed attempts + 1). Racing
	// callers get the same row.
	StartSessionPayment(ctx context.Context, p *SessionPayment) (*SessionPayment, error)
	// CaptureSessionPayment records a capture: pending → captured, and
	// writes participant.paid. False if the payment was not pending.
	CaptureSessionPayment(ctx context.Context, pay *SessionPayment) (bool, error)
	// FailSessionPayment marks a pending payment failed (a decline), so a
	// new attempt may be made.
	FailSessionPayment(ctx context.Context, id string) error
	// RefundSessionPayment records a refund: captured → refunded.
	RefundSessionPayment(ctx context.Context, id string, at time.Time) (bool, error)
	// SessionPayments lists a host's captured and refunded session fees,
	// newest first (their history and earnings).
	SessionPayments(ctx context.Context, hostID string, limit int) ([]*SessionPayment, error)
	// SessionEarnings sums a host's captured and refunded session fees.
	SessionEarnings(ctx context.Context, hostID string) (SessionEarnings, error)

	// SessionLobby returns the session's lobby: admit on arrival and every
	// current participant's entry; ENOTFOUND if no such session.
	SessionLobby(ctx context.Context, sessionID string) (*SessionLobby, error)
	// SetLobbyEntry writes a participant's lobby entry by compare-and-set
	// on e.Version (which it increments); false if the entry changed
	// since it was read. ENOTFOUND if no such participant.
	SetLobbyEntry(ctx context.Context, sessionID string, e *LobbyEntry) (bool, error)
	// SetAdmitOnArrival sets the session's "admit on arrival"; ENOTFOUND
	// if no such session.
	SetAdmitOnArrival(ctx context.Context, sessionID string, on bool) error
	// SessionsPastEnd lists the ids of sessions in progress whose
	// scheduled end is at or before `at`, soonest end first, up to limit.
	SessionsPastEnd(ctx context.Context, at time.Time, limit int) ([]string, error)
}

// SessionLobby is a session's room as the lobby keeps it (in the
// database, so every instance of a fleet sees the same).
type SessionLobby struct {
	SessionID string
	// AdmitOnArrival lets guests in as they arrive, except ones a host
	// removed.
	AdmitOnArrival bool
	// Entries are the current participants' lobby entries by id.
	Entries map[string]*LobbyEntry
}

// LobbyEntry is one participant's place in a session's lobby. Hosts are
// always in; these fields matter for guests.
type LobbyEntry struct {
	ParticipantID string
	// Version counts writes: SetLobbyEntry compares and sets it.
	Version int64
	// AdmittedAt is set while a host (or admit on arrival) let them in.
	AdmittedAt *time.Time
	// RemovedAt is set once a host removed them, until a host admits them
	// again: they wait, even with admit on arrival.
	RemovedAt *time.Time
	// WaitingSince is set while they wait; SeenAt is when their waiting
	// page last asked to join.
	WaitingSince *time.Time
	SeenAt       *time.Time
}
