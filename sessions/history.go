package sessions

import (
	"context"
	"time"

	"github.com/vidivo/vidivo"
)

// FeeRow is one session fee as a host's history lists it: who paid, for
// which session, and how the capture was split (or that it was refunded).
type FeeRow struct {
	PaidAt      time.Time
	SessionID   string
	SessionName string
	// Participant is who paid; "" when a host has since removed them.
	Participant string
	Status      vidivo.PaymentStatus
	Amount      vidivo.Money
	PlatformFee vidivo.Money
	HostPayout  vidivo.Money
}

// FeeHistory returns the latest limit session fees hostID was paid (or
// refunded), newest first, with the sums over all of them.
func (s *Service) FeeHistory(ctx context.Context, hostID string, limit int) ([]FeeRow, vidivo.SessionEarnings, error) {
	pays, sums, err := s.Payments(ctx, vidivo.Caller{Subject: hostID}, limit)
	if err != nil {
		return nil, vidivo.SessionEarnings{}, err
	}
	// Fees come a few per session: read each session once.
	seen := map[string]*vidivo.Session{}
	rows := make([]FeeRow, 0, len(pays))
	for _, p := range pays {
		sess, ok := seen[p.SessionID]
		if !ok {
			if sess, err = s.Store.Session(ctx, p.SessionID); err != nil {
				return nil, vidivo.SessionEarnings{}, err
			}
			seen[p.SessionID] = sess
		}
		row := FeeRow{SessionID: p.SessionID, SessionName: sess.Name, Status: p.Status,
			Amount: p.Amount, PlatformFee: p.PlatformFee, HostPayout: p.HostPayout}
		if p.PaidAt != nil {
			row.PaidAt = p.PaidAt.UTC()
		}
		if who := sess.Participant(p.ParticipantID); who != nil {
			row.Participant = who.DisplayName
		}
		rows = append(rows, row)
	}
	return rows, sums, nil
}
