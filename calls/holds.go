package calls

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// placeHold holds window n of a call as attempt: a pending ledger entry
// first, then the gateway, then the entry's outcome. Declines and gateway
// failures are 402 stripe_error. Window 0's entry stays pending here: the
// transaction that creates the call marks it succeeded, and only if it is
// still pending, so a hold that reconciliation released meanwhile never
// starts a call.
func (s *Service) placeHold(ctx context.Context, c *vidivo.Call, window, attempt int) (*vidivo.Charge, error) {
	ch := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Window: window,
		Amount: billing.WindowAmount(c.Rate, c.WindowMinutes), IdempotencyKey: holdKey(c.ID, window, attempt),
		Hold: &vidivo.HoldDetails{PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID,
			HostAccountID: c.HostAccountID, GuestEmail: deref(c.GuestEmail)}}
	if err := s.Store.AddCharge(ctx, ch); err != nil {
		return nil, err
	}
	switch ch.State {
	case vidivo.ChargeSucceeded:
		return ch, nil // placed by an earlier try of this attempt
	case vidivo.ChargeFailed:
		// A racing try of this attempt was refused just now.
		return nil, vidivo.Errorf(vidivo.ESTRIPE, "the payment hold could not be placed")
	}
	res, err := s.Gateway.Hold(ctx, holdRequest(ch))
	if err != nil {
		if billing.ErrorKind(err) != billing.KindTemporary {
			if serr := s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, ""); serr != nil {
				return nil, serr
			}
		}
		// A temporary failure stays pending: the hold may exist at the
		// gateway, and reconciliation asks again with the same key.
		return nil, holdFailed(err)
	}
	ch.GatewayID, c.CustomerID = res.HoldID, res.CustomerID
	if window > 0 {
		if err := s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, res.HoldID); err != nil {
			return nil, err
		}
		ch.State = vidivo.ChargeSucceeded
	}
	return ch, nil
}

// holdAttempt picks the attempt for window's hold from the ledger: the
// last attempt while it is pending (asking again with its key returns
// whatever became of it), or — for a renewal — placed; a new attempt after
// one that failed, and for a first hold after one that was placed, since a
// placed first hold without a session is being released.
func (s *Service) holdAttempt(ctx context.Context, callID string, window int) (int, error) {
	charges, err := s.Store.Charges(ctx, callID)
	if err != nil {
		return 0, err
	}
	var last *vidivo.Charge
	for _, ch := range charges {
		if ch.Kind == vidivo.ChargeHold && ch.Window == window && (last == nil || attemptOf(ch) > attemptOf(last)) {
			last = ch
		}
	}
	switch {
	case last == nil:
		return 0, nil
	case last.State == vidivo.ChargePending, last.State == vidivo.ChargeSucceeded && window > 0:
		return attemptOf(last), nil
	}
	return attemptOf(last) + 1, nil
}

// resolveHold settles the fate of a hold left pending (its gateway answer
// was lost): the gateway is asked again with the same key and parameters,
// which returns the hold if it was placed, and the entry records the
// answer. A temporary failure is returned and the entry stays pending.
func (s *Service) resolveHold(ctx context.Context, ch *vidivo.Charge) error {
	if ch.Hold == nil {
		ch.State = vidivo.ChargeFailed
		return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
	}
	res, err := s.Gateway.Hold(ctx, holdRequest(ch))
	if err != nil && billing.ErrorKind(err) == billing.KindTemporary {
		return fmt.Errorf("calls: resolve hold %s: %w", ch.IdempotencyKey, err)
	}
	if err != nil {
		// Refused for good (a decline, an unknown payment method): a
		// terminal state, so reconciliation converges.
		ch.State = vidivo.ChargeFailed
		return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
	}
	ch.GatewayID, ch.State = res.HoldID, vidivo.ChargeSucceeded
	if ch.Hold.CustomerID == "" {
		ch.Hold.CustomerID = res.CustomerID
	}
	return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, res.HoldID)
}

// holdRequest is the gateway request of a hold ledger entry. It depends on
// the entry alone, so asking again after a crash sends the same request.
func holdRequest(ch *vidivo.Charge) billing.HoldRequest {
	d := ch.Hold
	return billing.HoldRequest{
		IdempotencyKey: ch.IdempotencyKey, Amount: ch.Amount, Currency: billing.Currency,
		PaymentMethodID: d.PaymentMethodID, CustomerID: d.CustomerID, OffSession: ch.Window > 0,
		HostAccountID: d.HostAccountID, GuestEmail: d.GuestEmail,
		Description: fmt.Sprintf("Vidivo call %s, window %d", ch.CallID, ch.Window+1),
		Metadata:    map[string]string{"call_id": ch.CallID, "window": strconv.Itoa(ch.Window)},
	}
}

// holdFailed is a failed hold as users see it: 402 stripe_error, with the
// gateway's reason in details (a decline code such as card_declined or
// insufficient_funds, resource_missing for an unknown payment method, or
// gateway_unavailable for an outage) so a client can tell a card to
// replace from a moment to retry. The gateway's error is kept for the log.
func holdFailed(err error) error {
	msg := "the payment hold could not be placed"
	var be *billing.Error
	if !errors.As(err, &be) {
		be = &billing.Error{Kind: billing.KindTemporary}
	}
	field := "payment_method_id"
	switch be.Kind {
	case billing.KindDeclined:
		msg = "the payment method was declined (" + be.Reason() + ")"
	case billing.KindTemporary:
		msg, field = "the payments provider is unavailable; try again", "gateway"
	}
	ue := vidivo.Errorf(vidivo.ESTRIPE, "%s", msg)
	ue.Details = []vidivo.FieldError{{Field: field, Issue: be.Reason()}}
	return fmt.Errorf("%w: %w", ue, err)
}
