package calls

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// JoinRequest is a guest joining through a call link.
type JoinRequest struct {
	ShortCode       string
	PaymentMethodID string
	GuestName       *string
	GuestEmail      *string
	// UserID is set when a signed-in account joins.
	UserID string
}

func (r *JoinRequest) validate() error {
	var errs []vidivo.FieldError
	if issue := vidivo.CheckPaymentMethodID(r.PaymentMethodID); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "payment_method_id", Issue: issue})
	}
	if r.GuestName != nil {
		*r.GuestName = strings.TrimSpace(*r.GuestName)
		if issue := vidivo.CheckGuestName(*r.GuestName); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "guest_name", Issue: issue})
		}
	}
	if r.GuestEmail != nil {
		*r.GuestEmail = vidivo.NormalizeEmail(*r.GuestEmail)
		if issue := vidivo.CheckEmail(*r.GuestEmail); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "guest_email", Issue: issue})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

// joinError is what a link state means for a join, as the Calls doc lists:
// 404 for a link that is unknown, deleted, expired or outside its window,
// 409 for one whose uses are exhausted.
func joinError(state vidivo.LinkState) error {
	if state == vidivo.LinkExhausted {
		return vidivo.Errorf(vidivo.ECONFLICT, "this link has reached its maximum number of uses")
	}
	return vidivo.Errorf(vidivo.ENOTFOUND, "this call link does not exist or is not open")
}

// Join starts a call: it checks the link, places the first window's hold,
// and records the call (counting the link use) in one transaction. A hold
// that fails leaves nothing behind but a failed ledger entry: no call, no
// use counted. The host is rung at once if they are listening.
func (s *Service) Join(ctx context.Context, req JoinRequest) (*vidivo.Call, *vidivo.User, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	link, host, err := s.Store.LinkWithHost(ctx, req.ShortCode)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil, joinError(vidivo.LinkDeleted)
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if state := link.State(now); state != vidivo.LinkUsable {
		return nil, nil, joinError(state)
	}
	c := &vidivo.Call{
		ID: newID(now), LinkID: link.ID, ShortCode: link.ShortCode, HostID: link.HostID, GuestID: newID(now),
		GuestName: req.GuestName, GuestEmail: req.GuestEmail,
		Rate: link.Rate, WindowMinutes: link.WindowMinutes, PaymentMethodID: req.PaymentMethodID,
		HostAccountID: host.PayoutAccountID, Windows: 1,
	}
	if req.UserID != "" {
		c.GuestUserID = &req.UserID
	}

	hold, err := s.placeHold(ctx, c, 0)
	if err != nil {
		return nil, nil, err
	}
	jobs := []vidivo.ScheduledJob{{Job: vidivo.NoShowJob{CallID: c.ID}, RunAt: now.Add(vidivo.NoShowAfter)}}
	state, err := s.Store.StartCall(ctx, c, hold, jobs)
	if err == nil && state != vidivo.LinkUsable {
		err = joinError(state) // lost the race for the link's last use
	}
	if err != nil {
		// The hold is placed but the call is not: give it back.
		if rerr := s.release(ctx, c.ID, hold); rerr != nil {
			s.log().ErrorContext(ctx, "release hold of a call that did not start", "call_id", c.ID, "err", rerr)
		}
		return nil, nil, err
	}
	s.ring(c)
	return c, host, nil
}

// placeHold holds window n of a call: a pending ledger entry first, then
// the gateway, then the entry's outcome. Declines and gateway failures are
// 402 stripe_error. Window 0's entry stays pending here: StartCall marks it
// succeeded in the transaction that creates the call.
func (s *Service) placeHold(ctx context.Context, c *vidivo.Call, window int) (*vidivo.Charge, error) {
	ch := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Window: window,
		Amount: billing.WindowAmount(c.Rate, c.WindowMinutes), IdempotencyKey: holdKey(c.ID, window),
		Hold: &vidivo.HoldDetails{PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID,
			HostAccountID: c.HostAccountID, GuestEmail: deref(c.GuestEmail)}}
	if err := s.Store.AddCharge(ctx, ch); err != nil {
		return nil, err
	}
	if ch.State == vidivo.ChargeSucceeded {
		return ch, nil // placed by an earlier attempt
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
// gateway's error kept for the log.
func holdFailed(err error) error {
	msg := "the payment hold could not be placed"
	var be *billing.Error
	if errors.As(err, &be) && be.Kind == billing.KindDeclined {
		msg = "the payment method was declined"
		if be.DeclineCode != "" {
			msg += " (" + be.DeclineCode + ")"
		}
	}
	return fmt.Errorf("%w: %w", vidivo.Errorf(vidivo.ESTRIPE, "%s", msg), err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
