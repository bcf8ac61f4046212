package sessions_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
)

// holdProbe wraps the real sandbox gateway and keeps every distinct hold
// it placed, so a test sees holds no database row names.
type holdProbe struct {
	*sandbox.Gateway
	mu    sync.Mutex
	holds map[string]bool
}

func (h *holdProbe) Hold(ctx context.Context, req billing.HoldRequest) (billing.HoldResult, error) {
	res, err := h.Gateway.Hold(ctx, req)
	if err == nil {
		h.mu.Lock()
		h.holds[res.HoldID] = true
		h.mu.Unlock()
	}
	return res, err
}

func (h *holdProbe) distinct() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.holds)
}

// bundle is the sessions service on a real store and the sandbox gateway.
type bundle struct {
	db      *sqldb.DB
	svc     *sessions.Service
	probe   *holdProbe
	gateway *sandbox.Gateway
	clock   *testclock.Clock
	host    *vidivo.User
}

// invites renders a session's mail outbox (migration 0019) as it would be
// sent now: "email SEQUENCE:n METHOD:x" per mail, leaving out those with
// nothing left to send.
func (b *bundle) invites(t testing.TB, sessionID string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := b.db.InviteMails(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range rows {
		m, err := b.svc.InviteMail(ctx, row)
		if errors.Is(err, sessions.ErrNoInvite) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var seq, method string
		for _, line := range strings.Split(string(m.ICS), "\r\n") {
			if strings.HasPrefix(line, "SEQUENCE:") {
				seq = line
			}
			if strings.HasPrefix(line, "METHOD:") {
				method = line
			}
		}
		out = append(out, m.ToEmail+" "+seq+" "+method)
	}
	return out
}

var start = time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)

func forEngines(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, engine))
		})
	}
}

func setup(t testing.TB, engine string) *bundle {
	t.Helper()
	db := sqldbtest.New(t, engine)
	clk := testclock.New(start.Add(-24 * time.Hour))
	db.Now = clk.Now
	gw := &sandbox.Gateway{Store: db}
	host := storetest.MustCreateUser(t, db, "drsmith", vidivo.RoleHost)
	if err := db.SetPayoutAccount(context.Background(), host.ID, "acct_sbx_"+host.ID, true); err != nil {
		t.Fatal(err)
	}
	probe := &holdProbe{Gateway: gw, holds: map[string]bool{}}
	svc := &sessions.Service{Store: db, Gateway: probe, Refunds: gw,
		Signaling: &token.SignalingMinter{Secret: []byte("signaling-secret"), Now: clk.Now},
		TURN:      &turn.Minter{Secret: []byte("turn-secret"), URLs: []string{"turn:127.0.0.1:3478"}},
		EntryKey:  []byte("entry-key-entry-key-entry-key-32"), PublicURL: "https://vidivo.test",
		PlatformFeePercent: 10, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	return &bundle{db: db, svc: svc, probe: probe, gateway: gw, clock: clk, host: host}
}

func (b *bundle) caller() vidivo.Caller {
	return vidivo.Caller{Subject: b.host.ID, Role: vidivo.RoleHost}
}

// schedule creates a session from start to start+1h: the host, a guest
// with a $25.00 fee and a free guest.
func (b *bundle) schedule(t testing.TB) *vidivo.Session {
	t.Helper()
	s, err := b.svc.Create(context.Background(), b.caller(), vidivo.SessionInput{Name: "Consultation",
		StartTime: start, EndTime: start.Add(time.Hour), Participants: []vidivo.ParticipantInput{
			{DisplayName: "Dr Smith", Role: vidivo.ParticipantHost, Email: b.host.Email},
			{DisplayName: "Pat", Role: vidivo.ParticipantGuest, Email: "pat@example.com", Fee: 2500},
			{DisplayName: "Sam", Role: vidivo.ParticipantGuest},
		}})
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return s
}

// tokenOf is participant i's entry token.
func (b *bundle) tokenOf(s *vidivo.Session, i int) string {
	return strings.TrimPrefix(b.svc.EntryURLOf(s.Participants[i]), "https://vidivo.test/s/")
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := vidivo.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestCreateEntryURLs(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		seen := map[string]bool{}
		for i, p := range s.Participants {
			tok := b.tokenOf(s, i)
			if !sessions.IsEntryToken(tok) || len(tok) < 22 || seen[tok] {
				t.Fatalf("participant %d: token %q is not a fresh entry token", i, tok)
			}
			seen[tok] = true
			if strings.Contains(p.TokenHash, tok) || p.TokenHash == tok {
				t.Fatal("the token is stored in clear")
			}
			gs, gp, err := b.svc.Entry(ctx, tok)
			if err != nil || gs.ID != s.ID || gp.ID != p.ID {
				t.Fatalf("entry %d = %v, %v, %v", i, gs, gp, err)
			}
		}
		if s.Participants[0].UserID != b.host.ID || s.Participants[1].UserID != "" {
			t.Fatalf("host participant not linked to the account: %+v", s.Participants[0])
		}
		// A token of the right shape that was never issued.
		_, _, err := b.svc.Entry(ctx, strings.Repeat("A", sessions.EntryTokenLen))
		wantCode(t, err, vidivo.ENOTFOUND)
		_, _, err = b.svc.Entry(ctx, "short")
		wantCode(t, err, vidivo.ENOTFOUND)
		if got := b.invites(t, s.ID); len(got) != 2 || !strings.Contains(got[0], "SEQUENCE:0") {
			t.Fatalf("invites sent = %q, want the two participants with an email at SEQUENCE:0", got)
		}
	})
}

func TestEntryWindow(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		free := b.tokenOf(s, 2)
		for _, tc := range []struct {
			name string
			at   time.Time
			code string
		}{
			{"a second before it opens", start.Add(-5*time.Minute - time.Second), vidivo.ECONFLICT},
			{"5 minutes before the start", start.Add(-5 * time.Minute), ""},
			{"at the start", start, ""},
			{"a second before the end", start.Add(time.Hour - time.Second), ""},
			{"at the end", start.Add(time.Hour), vidivo.ELINKEXPIRED},
		} {
			b.clock.Set(tc.at)
			_, err := b.svc.Join(ctx, free)
			if vidivo.ErrorCode(err) != tc.code {
				t.Errorf("%s: join = %v, want code %q", tc.name, err, tc.code)
			}
		}
		// In progress, it runs over while people stay.
		if ok, err := b.svc.MarkState(ctx, s.ID, vidivo.SessionInProgress, start); err != nil || !ok {
			t.Fatalf("mark in progress = %v, %v", ok, err)
		}
		b.clock.Set(start.Add(3 * time.Hour))
		if _, err := b.svc.Join(ctx, free); err != nil {
			t.Fatalf("join while in progress after the end: %v", err)
		}
		if ok, err := b.svc.MarkState(ctx, s.ID, vidivo.SessionEnded, b.clock.Now()); err != nil || !ok {
			t.Fatalf("mark ended = %v, %v", ok, err)
		}
		_, err := b.svc.Join(ctx, free)
		wantCode(t, err, vidivo.ELINKEXPIRED)
	})
}

func TestJoinReplacesDevice(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		b.clock.Set(start)
		first, err := b.svc.Join(ctx, b.tokenOf(s, 2))
		if err != nil {
			t.Fatal(err)
		}
		second, err := b.svc.Join(ctx, b.tokenOf(s, 2))
		if err != nil {
			t.Fatal(err)
		}
		if second.Generation != first.Generation+1 || second.SignalingToken == first.SignalingToken {
			t.Fatalf("generations %d then %d", first.Generation, second.Generation)
		}
		_, _, err = b.svc.CheckJoin(ctx, s.ID, s.Participants[2].ID, first.Generation)
		wantCode(t, err, vidivo.EUNAUTHORIZED)
		if _, _, err := b.svc.CheckJoin(ctx, s.ID, s.Participants[2].ID, second.Generation); err != nil {
			t.Fatalf("the latest join is refused: %v", err)
		}
		claims, err := b.svc.Signaling.Verify(second.SignalingToken)
		if err != nil || claims.CallID != s.ID || claims.Participant != s.Participants[2].ID || claims.Generation != second.Generation {
			t.Fatalf("signaling claims = %+v, %v", claims, err)
		}
	})
}

func TestReissueRevokesURL(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		old := b.tokenOf(s, 1)
		p, err := b.svc.Reissue(ctx, b.caller(), s.ID, s.Participants[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = b.svc.Entry(ctx, old)
		wantCode(t, err, vidivo.ENOTFOUND)
		fresh := strings.TrimPrefix(b.svc.EntryURLOf(p), "https://vidivo.test/s/")
		if fresh == old {
			t.Fatal("reissue gave the same URL")
		}
		if _, gp, err := b.svc.Entry(ctx, fresh); err != nil || gp.ID != p.ID {
			t.Fatalf("new URL: %v", err)
		}
	})
}

func TestPayRaceCapturesOnce(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		b.clock.Set(start)
		_, err := b.svc.Join(ctx, tok)
		wantCode(t, err, vidivo.EPAYMENTFAILED)

		// While the first payment is at the gateway (before its hold is
		// placed), five more arrive at once: they find its pending row and
		// must use its keys.
		var wg sync.WaitGroup
		errs := make([]error, 6)
		b.gateway.BeforeNext("hold", func() {
			for i := 1; i < len(errs); i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, errs[i] = b.svc.Pay(ctx, tok, "pm_card_mastercard")
				}()
			}
			wg.Wait()
		})
		_, _, errs[0] = b.svc.Pay(ctx, tok, "pm_card_visa")
		for i, err := range errs {
			if err != nil {
				t.Fatalf("payment %d: %v", i, err)
			}
		}
		_, p, err := b.svc.Entry(ctx, tok)
		if err != nil || !p.Paid() || p.Payment.Attempt != 1 {
			t.Fatalf("participant after paying: %+v, %v", p, err)
		}
		if p.Payment.Amount != 2500 || p.Payment.PlatformFee != 250 || p.Payment.HostPayout != 2250 {
			t.Fatalf("payment = %+v", p.Payment)
		}
		amount, captured, status, err := b.db.SandboxHold(ctx, p.Payment.HoldID)
		if err != nil || amount != 2500 || captured != 2500 || status != "captured" {
			t.Fatalf("gateway hold = %v %v %s %v", amount, captured, status, err)
		}
		pays, err := b.db.SessionPayments(ctx, b.host.ID, 10)
		if err != nil || len(pays) != 1 {
			t.Fatalf("host's session payments = %d, %v; want one capture", len(pays), err)
		}
		if n := b.probe.distinct(); n != 1 {
			t.Fatalf("the gateway placed %d holds for one fee", n)
		}
		if _, err := b.svc.Join(ctx, tok); err != nil {
			t.Fatalf("join after paying: %v", err)
		}
	})
}

func TestPayDeclinedThenRetried(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		_, _, err := b.svc.Pay(ctx, tok, "pm_card_chargeDeclined")
		wantCode(t, err, vidivo.EPAYMENTFAILED)
		_, p, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		if err != nil || !p.Paid() || p.Payment.Attempt != 2 {
			t.Fatalf("retry: %+v, %v", p, err)
		}
		_, _, err = b.svc.Pay(ctx, b.tokenOf(s, 2), "pm_card_visa")
		wantCode(t, err, vidivo.ECONFLICT) // no fee to pay
	})
}

func TestCancelRefundsFees(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		_, p, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		if err != nil {
			t.Fatal(err)
		}
		b.gateway.FailNext(1, "refund", "temporary")
		_, err = b.svc.Cancel(ctx, b.caller(), s.ID)
		wantCode(t, err, vidivo.ESTRIPE)
		// Canceling again finishes the refunds.
		got, err := b.svc.Cancel(ctx, b.caller(), s.ID)
		if err != nil || got.State != vidivo.SessionCanceled || got.Sequence != 1 {
			t.Fatalf("cancel = %+v, %v", got, err)
		}
		if st := got.Participants[1].Payment.Status; st != vidivo.PaymentRefunded {
			t.Fatalf("payment status = %s", st)
		}
		refunded, err := b.gateway.Refunded(ctx, p.Payment.HoldID)
		if err != nil || refunded != 2500 {
			t.Fatalf("refunded at the gateway = %v, %v", refunded, err)
		}
		b.clock.Set(start)
		_, err = b.svc.Join(ctx, b.tokenOf(s, 2))
		wantCode(t, err, vidivo.ELINKEXPIRED)
		_, _, err = b.svc.Pay(ctx, tok, "pm_card_visa") // canceled: nothing more to pay
		wantCode(t, err, vidivo.ELINKEXPIRED)
		if refunded, _ := b.gateway.Refunded(ctx, p.Payment.HoldID); refunded != 2500 {
			t.Fatalf("refunded twice: %v", refunded)
		}
		sent := b.invites(t, s.ID)
		if last := sent[len(sent)-1]; !strings.Contains(last, "SEQUENCE:1 METHOD:CANCEL") {
			t.Fatalf("last invite = %q, want the cancellation at SEQUENCE:1", last)
		}
	})
}

func TestParticipantCapInDatabase(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		add := func(i int) error {
			_, _, err := b.svc.AddParticipant(ctx, b.caller(), s.ID, vidivo.ParticipantInput{
				DisplayName: "Guest", Role: vidivo.ParticipantGuest})
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = add(i) }()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, vidivo.ECONFLICT)
			}
		}
		got, err := b.db.Session(ctx, s.ID)
		if err != nil || ok != 3 || len(got.Participants) != vidivo.MaxSessionParticipants {
			t.Fatalf("%d adds succeeded, %d participants; want 3 and 6", ok, len(got.Participants))
		}
		// The store itself refuses a seventh, whoever asks.
		p := *got.Participants[5]
		p.ID, p.TokenHash = "01JZZZZZZZZZZZZZZZZZZZZZZZ", "another-hash"
		wantCode(t, b.db.AddSessionParticipant(ctx, &p), vidivo.ECONFLICT)
	})
}

func TestUpdateSendsSequence(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		later := start.Add(2 * time.Hour)
		end := later.Add(time.Hour)
		got, err := b.svc.Update(ctx, b.caller(), s.ID, vidivo.SessionUpdate{StartTime: &later, EndTime: &end})
		if err != nil || got.Sequence != 1 || !got.StartTime.Equal(later) {
			t.Fatalf("update = %+v, %v", got, err)
		}
		long := later.Add(9 * time.Hour)
		_, err = b.svc.Update(ctx, b.caller(), s.ID, vidivo.SessionUpdate{EndTime: &long})
		wantCode(t, err, vidivo.EVALIDATION)
		ics, err := b.svc.Invite(ctx, b.tokenOf(got, 1))
		if err != nil || !strings.Contains(string(ics), "SEQUENCE:1") || !strings.Contains(string(ics), "/s/"+b.tokenOf(got, 1)) {
			t.Fatalf("invite.ics = %s, %v", ics, err)
		}
	})
}

func TestOwnership(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		other := storetest.MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
		stranger := vidivo.Caller{Subject: other.ID, Role: vidivo.RoleHost}
		_, err := b.svc.Get(ctx, stranger, s.ID)
		wantCode(t, err, vidivo.ENOTFOUND)
		_, err = b.svc.Cancel(ctx, stranger, s.ID)
		wantCode(t, err, vidivo.ENOTFOUND)
		// An admin of the host's organization reads it but cannot manage it.
		org, _ := storetest.MustCreateOrganization(t, b.db, b.host, "Clinic")
		admin := storetest.MustCreateUser(t, b.db, "clinicadmin", vidivo.RoleHost)
		storetest.MustJoin(t, b.db, org, admin, vidivo.OrgAdmin)
		ac := vidivo.Caller{Subject: admin.ID, Role: vidivo.RoleHost}
		if _, err := b.svc.Get(ctx, ac, s.ID); err != nil {
			t.Fatalf("admin reads a member's session: %v", err)
		}
		list, _, err := b.svc.List(ctx, ac, vidivo.SessionFilter{Limit: 10})
		if err != nil || len(list) != 1 {
			t.Fatalf("admin's calendar = %d sessions, %v", len(list), err)
		}
		_, err = b.svc.Cancel(ctx, ac, s.ID)
		wantCode(t, err, vidivo.EFORBIDDEN)
	})
}

// TestPayOutageThenRetry: the gateway fails after the hold (capture
// unreachable); the payment stays pending and the retry repeats the same
// idempotency keys, so the one hold is captured once.
func TestPayOutageThenRetry(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		b.gateway.FailNext(1, "capture", "temporary")
		_, _, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		wantCode(t, err, vidivo.ESTRIPE)
		_, p, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		if err != nil || !p.Paid() || p.Payment.Attempt != 1 {
			t.Fatalf("retry: %+v, %v", p, err)
		}
		amount, captured, _, err := b.db.SandboxHold(ctx, p.Payment.HoldID)
		if err != nil || amount != 2500 || captured != 2500 {
			t.Fatalf("hold %v captured %v: %v", amount, captured, err)
		}
	})
}

// TestRemovePaidParticipantRefunds: removing a participant who paid
// refunds them first; their URL stops working.
func TestRemovePaidParticipantRefunds(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		_, p, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.svc.RemoveParticipant(ctx, b.caller(), s.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if refunded, _ := b.gateway.Refunded(ctx, p.Payment.HoldID); refunded != 2500 {
			t.Fatalf("refunded %v", refunded)
		}
		_, _, err = b.svc.Entry(ctx, tok)
		wantCode(t, err, vidivo.ENOTFOUND)
	})
}

// TestCancelWhilePaying: the host cancels while a fee is at the gateway
// (held, not yet captured). The cancel finds nothing captured to refund;
// the payment, once captured, sees the session canceled and refunds
// itself, so no fee is kept for a canceled session.
func TestCancelWhilePaying(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.schedule(t)
		tok := b.tokenOf(s, 1)
		var cancelErr error
		b.gateway.BeforeNext("capture", func() { _, cancelErr = b.svc.Cancel(ctx, b.caller(), s.ID) })
		_, _, err := b.svc.Pay(ctx, tok, "pm_card_visa")
		wantCode(t, err, vidivo.ELINKEXPIRED)
		if cancelErr != nil {
			t.Fatalf("cancel: %v", cancelErr)
		}
		got, err := b.db.Session(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		pay := got.Participants[1].Payment
		if got.State != vidivo.SessionCanceled || pay == nil || pay.Status != vidivo.PaymentRefunded {
			t.Fatalf("state %s, payment %+v", got.State, pay)
		}
		if refunded, _ := b.gateway.Refunded(ctx, pay.HoldID); refunded != 2500 {
			t.Fatalf("refunded %v", refunded)
		}
	})
}
