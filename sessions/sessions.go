// Package sessions runs scheduled group sessions: hosts schedule them with
// up to six participants, each participant enters through their own entry
// URL, pays their fee (captured at once) before joining, and gets a
// signaling token for the session's room. Canceling refunds every fee.
//
// The page at {PublicURL}/s/{token} and the room use this package's Go
// API: Entry, Pay, Join and Invite; the lobby (Arrive, Admit, Remove,
// SetAdmitOnArrival, Lobby), kept in the database so every instance of a
// fleet sees it; AdmitSignal before a socket opens; and the end of a
// session whose room is empty past its end (EndIfOver, and the job
// queue's sweep, EndOverSessions). Invite mails are written by the
// database in each change's transaction and rendered by InviteMail.
package sessions

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
)

// Store is the storage the service needs.
type Store interface {
	vidivo.SessionStore
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
	UserByLogin(ctx context.Context, login string) (*vidivo.User, string, error)
	UserMembership(ctx context.Context, userID string) (*vidivo.Membership, error)
	OrganizationMemberIDs(ctx context.Context, orgID string) ([]string, error)
}

// Refunder gives back a captured payment in full. The sandbox and Stripe
// gateways implement it; key makes a retry refund once.
type Refunder interface {
	Refund(ctx context.Context, key, holdID string, amount vidivo.Money) error
}

// Service runs sessions.
type Service struct {
	Store   Store
	Gateway billing.Gateway
	// Refunds refunds fees when a session is canceled or a paid
	// participant removed; nil uses the Gateway if it is a Refunder
	// (sandbox and Stripe are), else refunds are refused (ECONFLICT).
	Refunds Refunder
	// Signaling and TURN mint what a participant joins with.
	Signaling *token.SignalingMinter
	TURN      *turn.Minter
	// EntryKey derives entry tokens (with a random salt each); every
	// instance needs the same.
	EntryKey []byte
	// PublicURL builds entry URLs: {PublicURL}/s/{token}.
	PublicURL string
	// PlatformFeePercent is the platform's share of each fee.
	PlatformFeePercent int
	Rooms              Rooms // the relay: removes sockets, tells who is in (end.go); nil ends nothing
	Now                func() time.Time
	Logger             *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ids makes ULIDs that only increase within this process, even when the
// clock stands still or steps back (tests move it), so participants
// listed by id are in the order they were added.
var ids = struct {
	sync.Mutex
	lastMS  uint64
	entropy *ulid.MonotonicEntropy
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// newID returns a ULID at now.
func newID(now time.Time) string {
	ids.Lock()
	defer ids.Unlock()
	ms := max(ulid.Timestamp(now), ids.lastMS)
	ids.lastMS = ms
	return ulid.MustNew(ms, ids.entropy).String()
}

// entrySaltBytes is the random part of an entry token: 128 bits.
const entrySaltBytes = 16

// EntryTokenLen is the length of an entry token: base64url of 32 bytes.
var EntryTokenLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// newSalt returns a fresh random salt for a participant's entry token.
func newSalt() (string, error) {
	var b [entrySaltBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sessions: entry salt: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// entryToken is a participant's entry token: an HMAC of their id and a
// 128-bit random salt under the service's key, so the service can write
// the URL into later invites while the database keeps only its hash and
// the salt (neither lets anyone enter).
func (s *Service) entryToken(participantID, salt string) string {
	h := hmac.New(sha256.New, s.EntryKey)
	h.Write([]byte("session-entry/" + participantID + "/" + salt))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// HashEntryToken is how an entry token is stored and looked up.
func HashEntryToken(tok string) string {
	sum := sha256.Sum256([]byte("session-entry:" + tok))
	return hex.EncodeToString(sum[:])
}

// IsEntryToken reports whether tok has an entry token's shape.
func IsEntryToken(tok string) bool {
	if len(tok) != EntryTokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil
}

// EntryURL is the page a participant enters through.
func (s *Service) EntryURL(tok string) string { return s.PublicURL + "/s/" + tok }

// notFound is what an unknown, revoked or foreign session or entry token
// answers, so nothing tells them apart.
func notFound() error { return vidivo.Errorf(vidivo.ENOTFOUND, "no such session") }
