package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	pionturn "github.com/pion/turn/v4"
)

// DefaultUserQuota is ServerConfig.UserQuota's default: a participant in
// a full six-person session holds two allocations (the UDP and the TCP
// TURN URL) for each of its five peers, 10 in all, and a reconnect may
// make 10 more before the old ones are released.
const DefaultUserQuota = 20

// quotaHold is how long a quota slot reserved for an Allocate request
// stays held without the allocation appearing; pion creates it right after
// asking, so only a failed allocation waits this long to give it back.
const quotaHold = 10 * time.Second

// credentialAuth checks coturn REST credentials (see Minter) and counts
// live allocations per participant for the expiry rule and the quota.
//
// Expiry: like coturn, credentials are checked when an allocation is
// created. Later requests of that allocation (Refresh, CreatePermission,
// ChannelBind), from the same client transport address with the same
// username, are accepted past the expiry, so a call outlives its
// credentials; a new allocation needs fresh ones.
//
// Quota: a participant (the username after its expiry) may hold at most
// quota live allocations, across renewed credentials.
type credentialAuth struct {
	secret []byte
	now    func() time.Time
	quota  int
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[string]int         // client address + username → live allocations
	live     map[string]int         // participant → live allocations
	held     map[string][]time.Time // participant → quota slots reserved for allocations under way
}

func newCredentialAuth(secret []byte, now func() time.Time, quota int, log *slog.Logger) *credentialAuth {
	if now == nil {
		now = time.Now
	}
	return &credentialAuth{secret: secret, now: now, quota: quota, log: log,
		sessions: map[string]int{}, live: map[string]int{}, held: map[string][]time.Time{}}
}

func sessionKey(src net.Addr, username string) string {
	return src.Network() + " " + src.String() + " " + username
}

// participant is the part of a REST username after its expiry.
func participant(username string) string {
	_, p, _ := strings.Cut(username, ":")
	return p
}

// authenticate is the pion AuthHandler.
func (a *credentialAuth) authenticate(username, realm string, src net.Addr) ([]byte, bool) {
	exp, _, ok := strings.Cut(username, ":")
	expiry, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil {
		a.log.Info("TURN username not in the REST scheme", "src", src.String())
		return nil, false
	}
	if a.now().Unix() > expiry && !a.hasSession(src, username) {
		a.log.Info("expired TURN credentials", "src", src.String(), "username", username)
		return nil, false
	}
	mac := hmac.New(sha1.New, a.secret)
	mac.Write([]byte(username))
	password := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return pionturn.GenerateAuthKey(username, realm, password), true
}

func (a *credentialAuth) hasSession(src net.Addr, username string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[sessionKey(src, username)] > 0
}

// reserve is the pion QuotaHandler: it holds a slot for the allocation
// about to be created, so that concurrent requests (TCP connections are
// served in parallel) cannot together exceed the quota.
func (a *credentialAuth) reserve(username, _ string, src net.Addr) bool {
	if a.quota <= 0 {
		return true
	}
	p := participant(username)
	now := time.Now() // a processing timeout, not business time
	a.mu.Lock()
	defer a.mu.Unlock()
	held := a.held[p][:0]
	for _, t := range a.held[p] {
		if now.Sub(t) < quotaHold {
			held = append(held, t)
		}
	}
	if a.live[p]+len(held) >= a.quota {
		a.held[p] = held
		a.log.Info("TURN allocation quota reached", "src", src.String(), "participant", p, "quota", a.quota)
		return false
	}
	a.held[p] = append(held, now)
	return true
}

// created and deleted are pion's allocation event handlers.
func (a *credentialAuth) created(src, _ net.Addr, _, username, _ string, _ net.Addr, _ int) {
	p := participant(username)
	a.mu.Lock()
	defer a.mu.Unlock()
	if h := a.held[p]; len(h) > 0 {
		a.held[p] = h[1:]
	}
	if len(a.held[p]) == 0 {
		delete(a.held, p)
	}
	a.live[p]++
	a.sessions[sessionKey(src, username)]++
}

func (a *credentialAuth) deleted(src, _ net.Addr, _, username, _ string) {
	p, k := participant(username), sessionKey(src, username)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live[p]--; a.live[p] <= 0 {
		delete(a.live, p)
	}
	if a.sessions[k]--; a.sessions[k] <= 0 {
		delete(a.sessions, k)
	}
}

func (a *credentialAuth) eventHandler() pionturn.EventHandler {
	return pionturn.EventHandler{OnAllocationCreated: a.created, OnAllocationDeleted: a.deleted}
}
