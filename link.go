package vidivo

import (
	"context"
	"time"
)

// Limits on call links.
const (
	MinRate          Money = 50    // $0.50 a minute
	MaxRate          Money = 99999 // $999.99 a minute
	MinWindowMinutes       = 1
	MaxWindowMinutes       = 60
	MaxLinkLabelLen        = 120
	// MaxLinkUses bounds max_uses well inside every database's INTEGER.
	MaxLinkUses = 1_000_000
)

// Link is a call link: a host's price for instant calls, shared as
// {public URL}/c/{ShortCode}.
type Link struct {
	ID             string
	ShortCode      string
	HostID         string
	Rate           Money // per minute
	WindowMinutes  int   // billing window: one hold covers this many minutes
	ExpiresAt      *time.Time
	MaxUses        *int
	UseCount       int
	Label          *string
	ScheduledStart *time.Time
	ScheduledEnd   *time.Time
	// Active is false once the host has deleted (deactivated) the link.
	Active    bool
	CreatedAt time.Time
}

// LinkState says whether a link may start a new call, and if not, why.
type LinkState int

const (
	LinkUsable    LinkState = iota
	LinkDeleted             // deactivated by its host
	LinkExpired             // past ExpiresAt or ScheduledEnd
	LinkExhausted           // UseCount reached MaxUses
	LinkNotOpen             // before ScheduledStart
)

// State is the one rule for whether a link may start a new call at now: it
// must be active, not expired, inside its scheduled window and below its
// maximum uses. Every endpoint that answers about a link's usability asks
// this, and maps the state to its own documented error.
func (l *Link) State(now time.Time) LinkState {
	switch {
	case !l.Active:
		return LinkDeleted
	case l.ExpiresAt != nil && !now.Before(*l.ExpiresAt):
		return LinkExpired
	case l.ScheduledEnd != nil && !now.Before(*l.ScheduledEnd):
		return LinkExpired
	case l.MaxUses != nil && l.UseCount >= *l.MaxUses:
		return LinkExhausted
	case l.ScheduledStart != nil && now.Before(*l.ScheduledStart):
		return LinkNotOpen
	}
	return LinkUsable
}

// ViewError is the error the link-reading endpoints answer for a state in
// which the link is not shown: 404 for a deleted link, 410 for an expired or
// exhausted one. A link not open yet is still shown (its page tells when it
// opens), so it has no error.
func (s LinkState) ViewError() error {
	switch s {
	case LinkDeleted:
		return Errorf(ENOTFOUND, "link not found")
	case LinkExpired:
		return Errorf(ELINKEXPIRED, "this link has expired")
	case LinkExhausted:
		return Errorf(ELINKEXHAUSTED, "this link has reached its maximum number of uses")
	}
	return nil
}

// LinkInput is what a host gives to create a link.
type LinkInput struct {
	Rate           string
	WindowMinutes  int
	ExpiresAt      *time.Time
	MaxUses        *int
	Label          *string
	ScheduledStart *time.Time
	ScheduledEnd   *time.Time
}

// Validate checks the input at now and returns the link it describes for
// hostID (without ID or short code). Returns EVALIDATION naming every bad
// field.
func (in *LinkInput) Validate(hostID string, now time.Time) (*Link, error) {
	var errs []FieldError
	rate, issue := CheckRate(in.Rate)
	if in.Rate == "" {
		issue = "is required"
	}
	if issue != "" {
		errs = append(errs, FieldError{"rate_per_minute", issue})
	}
	if issue := CheckWindow(in.WindowMinutes); issue != "" {
		errs = append(errs, FieldError{"window_size_minutes", issue})
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		errs = append(errs, FieldError{"expires_at", "must be in the future"})
	}
	if in.MaxUses != nil && (*in.MaxUses < 1 || *in.MaxUses > MaxLinkUses) {
		errs = append(errs, FieldError{"max_uses", "must be from 1 to 1000000, or null for unlimited"})
	}
	if in.Label != nil {
		if fe := CheckText("label", *in.Label, TextRule{Max: MaxLinkLabelLen}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if in.ScheduledStart != nil && in.ScheduledEnd != nil && !in.ScheduledEnd.After(*in.ScheduledStart) {
		errs = append(errs, FieldError{"scheduled_end", "must be after scheduled_start"})
	}
	if in.ScheduledEnd != nil && !in.ScheduledEnd.After(now) {
		errs = append(errs, FieldError{"scheduled_end", "must be in the future"})
	}
	if len(errs) > 0 {
		return nil, Invalid(errs...)
	}
	return &Link{
		HostID: hostID, Rate: rate, WindowMinutes: in.WindowMinutes,
		ExpiresAt: utcPtr(in.ExpiresAt), MaxUses: in.MaxUses, Label: in.Label,
		ScheduledStart: utcPtr(in.ScheduledStart), ScheduledEnd: utcPtr(in.ScheduledEnd),
		Active: true,
	}, nil
}

// CheckRate parses a per-minute rate and returns what is wrong with it, or
// "": a decimal string with at most two decimals from 0.50 to 999.99. Links
// and scheduled-call prices share this one rule.
func CheckRate(s string) (Money, string) {
	rate, ok := ParseMoney(s)
	switch {
	case !ok:
		return 0, `must be a decimal string with at most two decimals, such as "2.50"`
	case rate < MinRate || rate > MaxRate:
		return 0, "must be between 0.50 and 999.99"
	}
	return rate, ""
}

// CheckWindow returns what is wrong with a billing window size, or "".
func CheckWindow(minutes int) string {
	if minutes < MinWindowMinutes || minutes > MaxWindowMinutes {
		return "must be an integer from 1 to 60"
	}
	return ""
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// LinkPage is one page of a host's links, newest first.
type LinkPage struct {
	Links []*Link
	// More is true when older links follow the last one.
	More bool
}

// LinkFilter selects a host's links for listing.
type LinkFilter struct {
	HostID string
	// Active, when set, keeps only links that are (or are not) active.
	Active *bool
	// Before, when set, keeps only links older than the link with this id
	// (the cursor).
	Before string
	Limit  int
}

// LinkStore keeps call links.
type LinkStore interface {
	// CreateLink stores a validated link, setting its ID, a fresh unique
	// ShortCode and CreatedAt.
	CreateLink(ctx context.Context, l *Link) error
	// LinkByShortCode returns ENOTFOUND if no link has the code.
	LinkByShortCode(ctx context.Context, code string) (*Link, error)
	// LinkWithHost returns the link with the code and its host in one
	// read. Returns ENOTFOUND if no link has the code.
	LinkWithHost(ctx context.Context, code string) (*Link, *User, error)
	// LinkByID returns ENOTFOUND if no link has the id.
	LinkByID(ctx context.Context, id string) (*Link, error)
	// Links returns a page of a host's links, newest first.
	Links(ctx context.Context, f LinkFilter) (*LinkPage, error)
	// ActiveLink returns the newest link of the host with hostID that is
	// usable at now. Returns ENOTFOUND if there is none.
	ActiveLink(ctx context.Context, hostID string, now time.Time) (*Link, error)
	// ActiveLinkForHost returns the host's newest link that is usable at
	// now. Returns ENOTFOUND if the host has none (or does not exist).
	ActiveLinkForHost(ctx context.Context, username string, now time.Time) (*Link, *User, error)
	// DeactivateLink soft-deletes a link. Deactivating twice is not an
	// error. Returns ENOTFOUND if there is no such link.
	DeactivateLink(ctx context.Context, id string) error
	// ClaimLinkUse counts one use of the link at now, atomically: it
	// succeeds only while the link is usable, so of two guests racing for
	// the last use exactly one wins. It returns the link as counted, or the
	// state that refused it.
	ClaimLinkUse(ctx context.Context, id string, now time.Time) (*Link, LinkState, error)
	// SetPayoutsConnected records whether a host's payouts are set up.
	SetPayoutsConnected(ctx context.Context, userID string, connected bool) error
}
