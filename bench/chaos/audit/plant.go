package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Planter writes fabricated calls, ledger rows and gateway books straight
// into a migrated Vidivo database, to show the audit catches what it
// claims to: Clean writes calls of every healthy shape (none may be
// flagged), Plant writes one call that breaks an invariant. It works on an
// empty database (the audit's tests) and on a chaos run's own (-plant),
// since every planted call is new and owned by a host of its own.
type Planter struct {
	DB *sql.DB
	// Engine is "sqlite" or "postgres".
	Engine string
	// Now is the instant the fabricated calls are placed around; the
	// audit must be run with the same Now.
	Now time.Time

	hostID string
}

// Plant is a fabricated violation: its name and the kinds the audit must
// raise for it (and no others), in the order of Kinds.
type Plant struct {
	Name  string
	Kinds []Kind
	build func(s *scene)
}

// Plants are the violations Plant can write: one per Kind, and the crash
// states of issue 17's defects.
var Plants = []Plant{
	{"charge_mismatch", []Kind{ChargeMismatch}, plantUndercaptured},
	{"hold_left_authorized", []Kind{HoldAuthorized}, plantHoldLeftOpen},
	{"double_capture", []Kind{DoubleCapture}, plantDoubleCapture},
	{"capture_over_hold", []Kind{OverCapture}, plantOverCapture},
	{"ledger_pending", []Kind{LedgerPending}, plantPendingRenewal},
	{"ledger_gateway_mismatch", []Kind{LedgerMismatch}, plantAmountMismatch},
	{"gateway_hold_without_ledger_row", []Kind{LedgerMismatch}, plantGatewayOnlyHold},
	{"past_paid_time_still_active", []Kind{PastPaidTime}, plantActivePastPaid},
	{"window_counted_without_hold", []Kind{PastPaidTime}, plantUnheldWindow},
	{"open_past_no_show", []Kind{OpenPastNoShow}, plantOpenPastNoShow},
	{"billed_minutes", []Kind{BilledMinutes}, plantBilledMinutes},
	// Defect 1: the renewal chain broke; the call ran on past its two held
	// windows and was cut to what was held.
	{"defect1_ran_past_holds", []Kind{ChargeMismatch, PastPaidTime}, plantRanPastHolds},
	// Defect 3: the capture hit a hold reconciliation had released.
	{"defect3_capture_on_released_hold", []Kind{ChargeMismatch}, plantCaptureOnReleased},
	// Defect 4: the capture succeeded, the ledger says failed.
	{"defect4_capture_recorded_failed", []Kind{ChargeMismatch, LedgerMismatch}, plantCaptureRecordedFailed},
	// Defect 5: a renewal's answer was lost, the call ended, the hold
	// stayed authorized with its ledger row pending.
	{"defect5_renewal_left_authorized", []Kind{HoldAuthorized, LedgerPending}, plantRenewalLeftAuthorized},
}

// Clean writes one call of each healthy shape: completed over two windows,
// completed with a window released, ended before the host came, missed,
// active within its paid time, waiting for its host, a declined join and a
// join whose call never started (its hold released).
func (p *Planter) Clean(ctx context.Context) error {
	for _, build := range []func(*scene){cleanCompleted, cleanPartlyReleased, cleanEndedWaiting, cleanMissed,
		cleanActive, cleanWaiting, cleanDeclined, cleanNeverStarted} {
		if _, err := p.write(ctx, build); err != nil {
			return err
		}
	}
	return nil
}

// Plant writes the named violation and returns its call id.
func (p *Planter) Plant(ctx context.Context, name string) (string, error) {
	for _, pl := range Plants {
		if pl.Name == name {
			return p.write(ctx, pl.build)
		}
	}
	return "", fmt.Errorf("audit: no plant named %q", name)
}

// scene is one fabricated call with its ledger and gateway books.
type scene struct {
	now     time.Time
	id      string
	c       *call // nil: the call was never recorded
	charges []*charge
	holds   []*hold
	ops     []*op
}

// ended makes the scene a call at rate cents a minute, 1-minute windows,
// active at `active` ago for `secs` seconds, billed to the minute.
func (s *scene) ended(rate int64, activeAgo time.Duration, secs int64, windows int64) {
	active := s.now.Add(-activeAgo)
	endedAt := active.Add(time.Duration(secs) * time.Second)
	billed := (secs + 59) / 60
	s.c = &call{id: s.id, status: "completed", rateCents: rate, windowMinutes: 1, windows: windows,
		createdAt: active.Add(-10 * time.Second), activeAt: &active, endedAt: &endedAt, durationSeconds: secs,
		billedMinutes: billed, totalCents: billed * rate}
}

func (s *scene) open(status string, rate int64, createdAgo, activeAgo time.Duration, windows int64) {
	s.c = &call{id: s.id, status: status, rateCents: rate, windowMinutes: 1, windows: windows,
		createdAt: s.now.Add(-createdAgo)}
	if status == "active" {
		a := s.now.Add(-activeAgo)
		s.c.activeAt = &a
	}
}

// hold places window w's hold at the gateway and in the ledger.
func (s *scene) hold(w, amount int64) *hold {
	key := fmt.Sprintf("call/%s/hold/%d", s.id, w)
	h := &hold{id: "pi_plant_" + randHex(), key: key, amountCents: amount, status: "requires_capture"}
	s.holds = append(s.holds, h)
	s.charges = append(s.charges, &charge{kind: "hold", window: w, amountCents: amount, gatewayID: h.id, key: key, state: "succeeded"})
	return h
}

func (s *scene) capture(h *hold, w, amount int64) *charge {
	key := fmt.Sprintf("call/%s/capture/%d", s.id, w)
	if s.opKey(key) {
		key += "/again"
	}
	ch := &charge{kind: "capture", window: w, amountCents: amount, gatewayID: h.id, key: key, state: "succeeded"}
	s.charges = append(s.charges, ch)
	s.ops = append(s.ops, &op{key: key, holdID: h.id, op: "capture", amountCents: amount})
	h.status, h.capturedCents = "captured", h.capturedCents+amount
	return ch
}

func (s *scene) release(h *hold, w int64) {
	key := fmt.Sprintf("call/%s/release/%d", s.id, w)
	s.charges = append(s.charges, &charge{kind: "release", window: w, gatewayID: h.id, key: key, state: "succeeded"})
	s.ops = append(s.ops, &op{key: key, holdID: h.id, op: "cancel"})
	h.status = "canceled"
}

func (s *scene) opKey(key string) bool {
	for _, o := range s.ops {
		if o.key == key {
			return true
		}
	}
	return false
}

// --- healthy shapes ---

func cleanCompleted(s *scene) {
	s.ended(100, 10*time.Minute, 90, 2)
	s.capture(s.hold(0, 100), 0, 100)
	s.capture(s.hold(1, 100), 1, 100)
}

func cleanPartlyReleased(s *scene) {
	s.ended(250, 10*time.Minute, 30, 2)
	s.capture(s.hold(0, 250), 0, 250)
	s.release(s.hold(1, 250), 1)
}

func cleanEndedWaiting(s *scene) {
	s.ended(100, 10*time.Minute, 0, 1)
	s.c.activeAt = nil
	s.release(s.hold(0, 100), 0)
}

func cleanMissed(s *scene) {
	cleanEndedWaiting(s)
	s.c.status = "missed"
}

func cleanActive(s *scene) {
	s.open("active", 100, 40*time.Second, 30*time.Second, 2)
	s.hold(0, 100)
	s.hold(1, 100)
}

func cleanWaiting(s *scene) {
	s.open("waiting", 100, time.Minute, 0, 1)
	s.hold(0, 100)
}

func cleanDeclined(s *scene) {
	s.charges = append(s.charges, &charge{kind: "hold", amountCents: 100, key: "call/" + s.id + "/hold/0", state: "failed"})
}

func cleanNeverStarted(s *scene) {
	s.release(s.hold(0, 100), 0)
}

// --- violations ---

func plantUndercaptured(s *scene) {
	s.ended(100, 10*time.Minute, 90, 2)
	s.capture(s.hold(0, 100), 0, 100)
	s.release(s.hold(1, 100), 1)
}

func plantHoldLeftOpen(s *scene) {
	s.ended(100, 10*time.Minute, 30, 2)
	s.capture(s.hold(0, 100), 0, 100)
	s.hold(1, 100)
}

func plantDoubleCapture(s *scene) {
	s.ended(100, 10*time.Minute, 120, 1)
	s.c.windowMinutes = 2
	h := s.hold(0, 200)
	s.capture(h, 0, 100)
	s.capture(h, 0, 100)
}

func plantOverCapture(s *scene) {
	s.ended(150, 10*time.Minute, 60, 1)
	s.capture(s.hold(0, 100), 0, 150)
}

func plantPendingRenewal(s *scene) {
	cleanActive(s)
	s.charges[1].state, s.charges[1].gatewayID = "pending", ""
	s.holds = s.holds[:1]
	s.c.windows = 1
}

func plantAmountMismatch(s *scene) {
	cleanWaiting(s)
	s.holds[0].amountCents = 120
}

func plantGatewayOnlyHold(s *scene) {
	cleanCompleted(s)
	s.holds = append(s.holds, &hold{id: "pi_plant_" + randHex(), key: "call/" + s.id + "/hold/7", amountCents: 100, status: "canceled"})
}

func plantActivePastPaid(s *scene) {
	s.open("active", 100, 4*time.Minute, 3*time.Minute, 2)
	s.hold(0, 100)
	s.hold(1, 100)
}

func plantUnheldWindow(s *scene) {
	s.open("active", 100, 40*time.Second, 30*time.Second, 2)
	s.hold(0, 100)
}

func plantOpenPastNoShow(s *scene) {
	s.open("ringing", 100, 6*time.Minute, 0, 1)
	s.hold(0, 100)
}

func plantBilledMinutes(s *scene) {
	s.ended(100, 10*time.Minute, 61, 2)
	s.c.billedMinutes, s.c.totalCents = 1, 100
	s.capture(s.hold(0, 100), 0, 100)
	s.release(s.hold(1, 100), 1)
}

func plantRanPastHolds(s *scene) {
	s.ended(100, 10*time.Minute, 300, 2) // billed 5.00
	s.c.totalCents = 200                 // cut to the two held windows
	s.capture(s.hold(0, 100), 0, 100)
	s.capture(s.hold(1, 100), 1, 100)
}

func plantCaptureOnReleased(s *scene) {
	s.ended(100, 10*time.Minute, 360, 6)
	s.c.windowMinutes = 10
	s.c.windows = 1
	h := s.hold(0, 1000)
	h.status = "canceled"
	s.charges = append(s.charges, &charge{kind: "capture", window: 0, amountCents: 600, gatewayID: h.id,
		key: "call/" + s.id + "/capture/0", state: "failed"})
}

func plantCaptureRecordedFailed(s *scene) {
	cleanCompleted(s)
	s.charges[len(s.charges)-1].state = "failed"
}

func plantRenewalLeftAuthorized(s *scene) {
	s.ended(100, 10*time.Minute, 30, 1)
	s.capture(s.hold(0, 100), 0, 100)
	s.hold(1, 100)
	s.charges[len(s.charges)-1].state = "pending"
}

// --- writing ---

func (p *Planter) write(ctx context.Context, build func(*scene)) (string, error) {
	if p.hostID == "" {
		if err := p.createHost(ctx); err != nil {
			return "", err
		}
	}
	s := &scene{now: p.Now, id: "PLANT" + strings.ToUpper(randHex())}
	build(s)
	for _, ch := range s.charges {
		ch.callID = s.id
	}
	if s.c != nil {
		if err := p.insertCall(ctx, s.c); err != nil {
			return "", err
		}
	}
	for _, ch := range s.charges {
		if err := p.exec(ctx, `INSERT INTO call_charges (id, call_id, kind, window_index, amount_cents, gateway_id,
			idempotency_key, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"chg_"+randHex(), ch.callID, ch.kind, ch.window, ch.amountCents, ch.gatewayID, ch.key, ch.state,
			p.ts(p.Now), p.ts(p.Now)); err != nil {
			return "", fmt.Errorf("audit: plant charge: %w", err)
		}
	}
	for _, h := range s.holds {
		if err := p.exec(ctx, `INSERT INTO sandbox_holds (id, idempotency_key, customer_id, payment_method_id,
			amount_cents, captured_cents, status, created_at) VALUES (?, ?, 'cus_plant', 'pm_card_visa', ?, ?, ?, ?)`,
			h.id, h.key, h.amountCents, h.capturedCents, h.status, p.ts(p.Now)); err != nil {
			return "", fmt.Errorf("audit: plant hold: %w", err)
		}
	}
	for _, o := range s.ops {
		if err := p.exec(ctx, `INSERT INTO sandbox_ops (idempotency_key, hold_id, op, amount_cents) VALUES (?, ?, ?, ?)`,
			o.key, o.holdID, o.op, o.amountCents); err != nil {
			return "", fmt.Errorf("audit: plant op: %w", err)
		}
	}
	return s.id, nil
}

func (p *Planter) createHost(ctx context.Context) error {
	id := "PLANTHOST" + strings.ToUpper(randHex())
	err := p.exec(ctx, `INSERT INTO users (id, email, username, display_name, role, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, 'Planted Host', 'host', 'x', ?, ?)`, id, strings.ToLower(id)+"@example.com", strings.ToLower(id),
		p.ts(p.Now), p.ts(p.Now))
	if err != nil {
		return fmt.Errorf("audit: plant host: %w", err)
	}
	p.hostID = id
	return nil
}

func (p *Planter) insertCall(ctx context.Context, c *call) error {
	err := p.exec(ctx, `INSERT INTO calls (id, host_id, guest_id, rate_cents, window_minutes, status, payment_method_id,
		windows, created_at, active_at, ended_at, duration_seconds, billed_minutes, total_cents)
		VALUES (?, ?, ?, ?, ?, ?, 'pm_card_visa', ?, ?, ?, ?, ?, ?, ?)`,
		c.id, p.hostID, "guest_"+randHex(), c.rateCents, c.windowMinutes, c.status, c.windows, p.ts(c.createdAt),
		p.nullTS(c.activeAt), p.nullTS(c.endedAt), c.durationSeconds, c.billedMinutes, c.totalCents)
	if err != nil {
		return fmt.Errorf("audit: plant call: %w", err)
	}
	return nil
}

func (p *Planter) exec(ctx context.Context, q string, args ...any) error {
	_, err := p.DB.ExecContext(ctx, Rebind(p.Engine, q), args...)
	return err
}

// ts is the text form both engines take for a timestamp (the service's own).
func (p *Planter) ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func (p *Planter) nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return p.ts(*t)
}

// Rebind turns ? placeholders into PostgreSQL's $n on that engine.
func Rebind(engine, q string) string {
	if engine != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func randHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
