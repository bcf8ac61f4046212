package audit

import (
	"strconv"
	"strings"
	"time"
)

// checkLedgerAgainstGateway holds every ledger row up against the
// gateway's books: a placed hold must exist there with the same id, key
// and amount; a succeeded capture or release must be an operation there on
// that hold, for that amount; a failed step must have left no trace there.
func (a *auditor) checkLedgerAgainstGateway() {
	capturesByHold := map[string]int{}
	capturesByWindow := map[string]int{}
	for _, ch := range a.b.charges {
		if ch.state == "pending" {
			a.flag(LedgerPending, ch.callID, "%s is still pending (since %s)", ch, ch.updated.Format(time.RFC3339))
			continue
		}
		switch ch.kind {
		case "hold":
			a.checkLedgerHold(ch)
		case "capture", "release":
			a.checkLedgerSettlement(ch)
			if ch.kind == "capture" && ch.state == "succeeded" {
				capturesByHold[ch.gatewayID]++
				capturesByWindow[ch.callID+"/"+itoa(ch.window)]++
				if capturesByHold[ch.gatewayID] == 2 {
					a.flag(DoubleCapture, ch.callID, "hold %s has two succeeded captures in the ledger", ch.gatewayID)
				} else if capturesByWindow[ch.callID+"/"+itoa(ch.window)] == 2 {
					a.flag(DoubleCapture, ch.callID, "window %d has two succeeded captures in the ledger", ch.window)
				}
			}
		}
	}
}

func (a *auditor) checkLedgerHold(ch *charge) {
	if ch.state == "failed" {
		if h := a.holdByKey[ch.key]; h != nil {
			a.flag(LedgerMismatch, ch.callID, "ledger says %s failed, but the gateway placed hold %s (%s, %s)",
				ch.key, h.id, cents(h.amountCents), h.status)
		}
		return
	}
	h := a.holdByID[ch.gatewayID]
	switch {
	case h == nil:
		a.flag(LedgerMismatch, ch.callID, "ledger hold %s names gateway hold %q, which the gateway does not have", ch.key, ch.gatewayID)
	case h.key != ch.key:
		a.flag(LedgerMismatch, ch.callID, "ledger hold %s names gateway hold %s, placed under key %s", ch.key, h.id, h.key)
	case h.amountCents != ch.amountCents:
		a.flag(LedgerMismatch, ch.callID, "ledger hold %s is %s, the gateway's hold %s is %s", ch.key,
			cents(ch.amountCents), h.id, cents(h.amountCents))
	}
}

func (a *auditor) checkLedgerSettlement(ch *charge) {
	o := a.opByKey[ch.key]
	if ch.state == "failed" {
		if o != nil {
			a.flag(LedgerMismatch, ch.callID, "ledger says %s failed, but the gateway did it (%s %s on %s)",
				ch.key, o.op, cents(o.amountCents), o.holdID)
		}
		return
	}
	wantOp := "capture"
	if ch.kind == "release" {
		wantOp = "cancel"
	}
	switch {
	case o == nil:
		a.flag(LedgerMismatch, ch.callID, "ledger says %s succeeded, the gateway has no such operation", ch.key)
	case o.op != wantOp && !(wantOp == "cancel" && o.op == "release"):
		a.flag(LedgerMismatch, ch.callID, "ledger %s is a %s, the gateway did %s", ch.key, ch.kind, o.op)
	case o.holdID != ch.gatewayID:
		a.flag(LedgerMismatch, ch.callID, "ledger %s is on hold %s, the gateway's on %s", ch.key, ch.gatewayID, o.holdID)
	case ch.kind == "capture" && o.amountCents != ch.amountCents:
		a.flag(LedgerMismatch, ch.callID, "ledger %s captured %s, the gateway %s", ch.key, cents(ch.amountCents), cents(o.amountCents))
	}
}

// checkGatewayAgainstLedger goes the other way: every hold and operation
// at the gateway must be in the ledger; no hold may be captured over its
// amount or twice; and no hold may stay authorized once its call ended or
// never started.
func (a *auditor) checkGatewayAgainstLedger() {
	for _, h := range a.b.holds {
		owner := a.holdOwner[h.id]
		if owner == "" {
			owner = callOfKey(h.key)
		}
		if ch := a.chargeKey[h.key]; ch == nil || ch.kind != "hold" {
			a.flag(LedgerMismatch, owner, "gateway hold %s (%s, %s, key %s) has no hold in the ledger", h.id,
				cents(h.amountCents), h.status, h.key)
		}
		if h.capturedCents > h.amountCents {
			a.flag(OverCapture, owner, "hold %s captured %s of %s", h.id, cents(h.capturedCents), cents(h.amountCents))
		}
		a.checkOpsOnHold(h, owner)
		if h.status == "requires_capture" {
			if c := a.calls[owner]; c == nil || c.ended() {
				state := "never started"
				if c != nil {
					state = c.status
				}
				a.flag(HoldAuthorized, owner, "hold %s (%s) is still authorized; the call %s", h.id, cents(h.amountCents), state)
			}
		}
	}
	for _, o := range a.b.ops {
		if ch := a.chargeKey[o.key]; ch == nil {
			a.flag(LedgerMismatch, a.holdOwner[o.holdID], "gateway %s %s on hold %s (key %s) has no ledger row",
				o.op, cents(o.amountCents), o.holdID, o.key)
		}
	}
}

func (a *auditor) checkOpsOnHold(h *hold, owner string) {
	var captures, captured int64
	for _, o := range a.opsOnHold[h.id] {
		if o.op == "capture" {
			captures++
			captured += o.amountCents
		}
	}
	switch {
	case captures > 1:
		a.flag(DoubleCapture, owner, "hold %s was captured %d times at the gateway", h.id, captures)
	case len(a.opsOnHold[h.id]) > 1:
		a.flag(LedgerMismatch, owner, "hold %s has %d operations at the gateway", h.id, len(a.opsOnHold[h.id]))
	case captured != h.capturedCents:
		a.flag(LedgerMismatch, owner, "hold %s records %s captured, its operations %s", h.id, cents(h.capturedCents), cents(captured))
	}
}

// checkCall checks one call's money and time.
func (a *auditor) checkCall(c *call) {
	a.checkHeldWindows(c)
	if !c.ended() {
		a.checkOpenCall(c)
		return
	}
	a.checkBilledTime(c)
	want := c.billedMinutes * c.rateCents
	var ledgerCaptured, gatewayCaptured int64
	for _, ch := range a.ledger[c.id] {
		switch {
		case ch.kind == "capture" && ch.state == "succeeded":
			ledgerCaptured += ch.amountCents
		case ch.kind == "hold":
			if h := a.holdByKey[ch.key]; h != nil {
				gatewayCaptured += h.capturedCents
			}
		}
	}
	if c.totalCents != want || ledgerCaptured != want || gatewayCaptured != want {
		a.flag(ChargeMismatch, c.id, "%s: billed %d min × %s = %s, total_charged %s, ledger captured %s, gateway captured %s",
			c.status, c.billedMinutes, cents(c.rateCents), cents(want), cents(c.totalCents), cents(ledgerCaptured), cents(gatewayCaptured))
	}
	if c.activeAt != nil && c.endedAt != nil && c.endedAt.After(c.covered()) {
		a.flag(PastPaidTime, c.id, "ended %s after its paid time (active %s, windows=%d × %d min, ended %s; holds placed for %d windows)",
			c.endedAt.Sub(c.covered()).Round(time.Millisecond), c.activeAt.Format(time.RFC3339), c.windows,
			c.windowMinutes, c.endedAt.Format(time.RFC3339), a.heldWindows(c.id))
	}
}

// checkBilledTime: duration runs from active to ended, and every started
// minute is billed; a call that never became active costs nothing.
func (a *auditor) checkBilledTime(c *call) {
	var want int64
	if c.activeAt != nil && c.endedAt != nil && c.endedAt.After(*c.activeAt) {
		want = int64(c.endedAt.Sub(*c.activeAt) / time.Second)
	}
	if d := c.durationSeconds - want; d < -1 || d > 1 {
		a.flag(BilledMinutes, c.id, "duration %d s, but active to ended is %d s", c.durationSeconds, want)
	}
	if c.billedMinutes != (c.durationSeconds+59)/60 {
		a.flag(BilledMinutes, c.id, "billed %d min for %d s (want %d)", c.billedMinutes, c.durationSeconds, (c.durationSeconds+59)/60)
	}
}

// heldWindows counts the distinct windows of a call with a placed hold.
func (a *auditor) heldWindows(callID string) int {
	held := map[int64]bool{}
	for _, ch := range a.ledger[callID] {
		if ch.kind == "hold" && ch.state == "succeeded" {
			held[ch.window] = true
		}
	}
	return len(held)
}

// checkHeldWindows: each window the call counts as paid must have a placed
// hold behind it, or the covered time is not paid time at all.
func (a *auditor) checkHeldWindows(c *call) {
	held := map[int64]bool{}
	for _, ch := range a.ledger[c.id] {
		if ch.kind == "hold" && ch.state == "succeeded" {
			held[ch.window] = true
		}
	}
	for w := int64(0); w < c.windows; w++ {
		if !held[w] {
			a.flag(PastPaidTime, c.id, "window %d counts as paid (windows=%d) but no hold for it was placed", w, c.windows)
			return
		}
	}
}

func (a *auditor) checkOpenCall(c *call) {
	now := a.opt.Now
	switch c.status {
	case "active":
		if c.activeAt == nil {
			return
		}
		if over := now.Sub(c.covered()); over > a.opt.Slack {
			a.flag(PastPaidTime, c.id, "still active %s after its paid time (active %s, %d × %d min paid)",
				over.Round(time.Second), c.activeAt.Format(time.RFC3339), c.windows, c.windowMinutes)
		}
	case "waiting", "ringing":
		if over := now.Sub(c.noShowDeadline()); over > a.opt.Slack {
			a.flag(OpenPastNoShow, c.id, "still %s %s after its no-show deadline", c.status, over.Round(time.Second))
		}
	}
}

// checkCallsThatNeverStarted: money captured for a call that has no row
// (a join whose call was never recorded) is money taken for nothing.
func (a *auditor) checkCallsThatNeverStarted() {
	for id, rows := range a.ledger {
		if a.calls[id] != nil {
			continue
		}
		for _, ch := range rows {
			if ch.kind == "capture" && ch.state == "succeeded" {
				a.flag(ChargeMismatch, id, "%s captured for a call that never started", cents(ch.amountCents))
			}
		}
	}
}

// callOfKey reads the call id out of an idempotency key "call/{id}/…".
func callOfKey(key string) string {
	parts := strings.Split(key, "/")
	if len(parts) >= 2 && parts[0] == "call" {
		return parts[1]
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
