package natsbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vidivo/vidivo/notify"
)

// Defaults of LeaseConfig.
const (
	DefaultLeaseBucket = "VIDIVO_NOTIFY_STREAMS"
	// DefaultLeaseTTL is how long a stream counts without being renewed:
	// three of the hub's renewals (notify.DefaultLeaseRenew), so one or
	// two may be late; a stream on a killed instance stops counting
	// within it.
	DefaultLeaseTTL = 45 * time.Second
)

// casTries bounds the compare-and-set retries of one lease change: each
// retry means another instance changed the same user's leases meanwhile.
const casTries = 16

// LeaseConfig names the key-value bucket; instances of one fleet must
// agree on it.
type LeaseConfig struct {
	// Bucket is the JetStream key-value bucket; "" means
	// DefaultLeaseBucket.
	Bucket string
	// TTL is a lease's life from its last renewal; 0 means
	// DefaultLeaseTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now. Instances' clocks must agree
	// to within a few seconds (NTP).
	Now func() time.Time
}

// Leases implements notify.Leases in a JetStream key-value bucket: one key
// per user whose value maps each of the user's open streams to when its
// lease runs out. Every change reads the key, drops leases that ran out,
// and writes it back only if nobody wrote it meanwhile (the revision is
// the compare-and-set), else reads again.
type Leases struct {
	kv  jetstream.KeyValue
	cfg LeaseConfig
}

var _ notify.Leases = (*Leases)(nil)

// NewLeases creates (or updates) the bucket on nc's server. The caller
// keeps nc.
func NewLeases(ctx context.Context, nc *nats.Conn, cfg LeaseConfig) (*Leases, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultLeaseBucket
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbroker: jetstream: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Vidivo's open notification streams per user, for the fleet-wide cap",
		History:     1,
		// A user's key left alone this long holds only leases that ran
		// out: the server forgets it.
		TTL:     4 * cfg.TTL,
		Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbroker: lease bucket %s: %w", cfg.Bucket, err)
	}
	return &Leases{kv: kv, cfg: cfg}, nil
}

// Delete removes the bucket (for tests and teardown).
func (l *Leases) Delete(ctx context.Context, js jetstream.JetStream) error {
	if err := js.DeleteKeyValue(ctx, l.cfg.Bucket); err != nil {
		return fmt.Errorf("natsbroker: delete %s: %w", l.cfg.Bucket, err)
	}
	return nil
}

// Take implements notify.Leases.
func (l *Leases) Take(ctx context.Context, userID, id string, max int) error {
	return l.change(ctx, userID, func(held map[string]int64, until int64) error {
		if _, ok := held[id]; !ok && len(held) >= max {
			return notify.ErrTooManyStreams
		}
		held[id] = until
		return nil
	})
}

// Renew implements notify.Leases. A lease that ran out meanwhile is taken
// again: its stream is still open, and refusing it now would help nobody.
func (l *Leases) Renew(ctx context.Context, userID string, ids []string) error {
	return l.change(ctx, userID, func(held map[string]int64, until int64) error {
		for _, id := range ids {
			held[id] = until
		}
		return nil
	})
}

// Drop implements notify.Leases.
func (l *Leases) Drop(ctx context.Context, userID, id string) error {
	return l.change(ctx, userID, func(held map[string]int64, _ int64) error {
		delete(held, id)
		return nil
	})
}

// Held returns how many live leases userID holds (for tests and tools).
func (l *Leases) Held(ctx context.Context, userID string) (int, error) {
	held, _, err := l.read(ctx, userID)
	return len(held), err
}

// change applies f to userID's live leases (with the time a lease taken
// or renewed now runs out) and writes the result with a compare-and-set,
// again from a fresh read whenever another instance wrote first.
func (l *Leases) change(ctx context.Context, userID string, f func(held map[string]int64, until int64) error) error {
	for range casTries {
		held, rev, err := l.read(ctx, userID)
		if err != nil {
			return err
		}
		if err := f(held, l.cfg.Now().Add(l.cfg.TTL).UnixMilli()); err != nil {
			return err
		}
		val, err := json.Marshal(held)
		if err != nil {
			return fmt.Errorf("natsbroker: encode leases: %w", err)
		}
		key := userToken(userID)
		if rev == 0 {
			_, err = l.kv.Create(ctx, key, val)
		} else {
			_, err = l.kv.Update(ctx, key, val, rev)
		}
		if err == nil {
			return nil
		}
		if !conflict(err) {
			return fmt.Errorf("natsbroker: write leases: %w", err)
		}
	}
	return fmt.Errorf("natsbroker: leases of %q changed by others %d times in a row", userID, casTries)
}

// read returns userID's leases that have not run out, and the key's
// revision (0 when it has none).
func (l *Leases) read(ctx context.Context, userID string) (map[string]int64, uint64, error) {
	held := map[string]int64{}
	e, err := l.kv.Get(ctx, userToken(userID))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return held, 0, nil
	case err != nil:
		return nil, 0, fmt.Errorf("natsbroker: read leases: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &held); err != nil {
		// Not ours to make sense of: start afresh, over it.
		held = map[string]int64{}
	}
	now := l.cfg.Now().UnixMilli()
	for id, until := range held {
		if until <= now {
			delete(held, id)
		}
	}
	return held, e.Revision(), nil
}

// conflict reports a compare-and-set that lost: the key was written (or
// created) since it was read.
func conflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
