// Package natsbroker is the notify.Broker of a fleet: events go to a
// JetStream stream, one subject per user, kept for a few minutes and
// numbered by the stream's sequence, so every instance's hub hears every
// event and a reconnecting notification stream can get what it missed
// from any instance.
package natsbroker

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vidivo/vidivo/notify"
)

// Defaults of Config.
const (
	DefaultStream  = "VIDIVO_NOTIFY"
	DefaultSubject = "vidivo.notify"
	DefaultMaxAge  = 5 * time.Minute
	// DefaultKeep bounds the events kept per user, whatever their age.
	DefaultKeep = 64
)

// nameHeader carries the event's name; the message's data is its JSON.
const nameHeader = "Vidivo-Event"

// maxReplay bounds what one reconnecting stream is sent from the past.
const maxReplay = 256

// Config names the JetStream stream. Instances of one fleet must agree on
// it; tests give each broker pair names of their own.
type Config struct {
	// Stream is the JetStream stream's name; "" means DefaultStream.
	Stream string
	// Subject prefixes every user's subject ("<Subject>.<user>"); ""
	// means DefaultSubject.
	Subject string
	// MaxAge is how long events are kept; 0 means DefaultMaxAge.
	MaxAge time.Duration
}

// Broker implements notify.Broker over JetStream.
type Broker struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	cfg    Config
}

var _ notify.Broker = (*Broker)(nil)

// New creates (or updates) the stream on nc's server and returns a broker
// over it. The caller keeps nc.
func New(ctx context.Context, nc *nats.Conn, cfg Config) (*Broker, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultSubject
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsbroker: jetstream: %w", err)
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              cfg.Stream,
		Description:       "Vidivo notifications, per user, for reconnecting streams",
		Subjects:          []string{cfg.Subject + ".>"},
		MaxAge:            cfg.MaxAge,
		MaxMsgsPerSubject: DefaultKeep,
		Storage:           jetstream.FileStorage,
		Discard:           jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbroker: stream %s: %w", cfg.Stream, err)
	}
	return &Broker{js: js, stream: stream, cfg: cfg}, nil
}

// Delete removes the stream and what it keeps (for tests and teardown).
func (b *Broker) Delete(ctx context.Context) error {
	if err := b.js.DeleteStream(ctx, b.cfg.Stream); err != nil {
		return fmt.Errorf("natsbroker: delete %s: %w", b.cfg.Stream, err)
	}
	return nil
}

// Publish implements notify.Broker: the event is stored (acknowledged by
// the server) before Publish returns.
func (b *Broker) Publish(ctx context.Context, userID, name string, data json.RawMessage) error {
	msg := nats.NewMsg(b.subject(userID))
	msg.Header.Set(nameHeader, name)
	msg.Data = data
	if _, err := b.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("natsbroker: publish: %w", err)
	}
	return nil
}

// Listen implements notify.Broker with one ordered consumer of every
// user's subject, from the next event on. An ordered consumer that loses
// its server recreates itself from the last number it delivered, so a
// reconnection loses nothing kept.
func (b *Broker) Listen(deliver func(string, notify.Event)) (func(), error) {
	ctx := context.Background()
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.cfg.Subject + ".>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbroker: consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			return
		}
		user, ok := b.user(m.Subject())
		if !ok {
			return
		}
		deliver(user, notify.Event{ID: meta.Sequence.Stream, Name: m.Headers().Get(nameHeader), Data: json.RawMessage(m.Data())})
	})
	if err != nil {
		return nil, fmt.Errorf("natsbroker: consume: %w", err)
	}
	return cc.Stop, nil
}

// Since implements notify.Broker: the user's kept events after the number,
// one direct read each (a user has a handful in a few minutes).
func (b *Broker) Since(ctx context.Context, userID string, after uint64) ([]notify.Event, error) {
	subj := b.subject(userID)
	var out []notify.Event
	for seq := after + 1; len(out) < maxReplay; {
		m, err := b.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("natsbroker: events since %d: %w", after, err)
		}
		out = append(out, notify.Event{ID: m.Sequence, Name: m.Header.Get(nameHeader), Data: json.RawMessage(m.Data)})
		seq = m.Sequence + 1
	}
	return out, nil
}

// subject is the user's subject.
func (b *Broker) subject(userID string) string {
	return b.cfg.Subject + "." + userToken(userID)
}

// userToken names a user in a subject or a key: the id itself when it is
// a safe token (ULIDs are), else "_x" and its hex.
func userToken(userID string) string {
	safe := userID != "" && userID[0] != '_' && len(userID) <= 128
	for i := 0; safe && i < len(userID); i++ {
		c := userID[i]
		safe = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
	}
	if safe {
		return userID
	}
	return "_x" + hex.EncodeToString([]byte(userID))
}

// user is the inverse of subject.
func (b *Broker) user(subject string) (string, bool) {
	tok, ok := strings.CutPrefix(subject, b.cfg.Subject+".")
	if !ok || tok == "" || strings.Contains(tok, ".") {
		return "", false
	}
	enc, ok := strings.CutPrefix(tok, "_x")
	if !ok {
		return tok, true
	}
	raw, err := hex.DecodeString(enc)
	return string(raw), err == nil
}
