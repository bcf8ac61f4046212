package signaling

import (
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// SubjectPrefix starts the NATS subject of every signaling topic: a call's
// envelopes go to "vidivo.signal.<callID>", CloseCall to
// "vidivo.signal._control".
const SubjectPrefix = "vidivo.signal."

// natsQueue is how many received envelopes may wait for the dispatcher
// before NATS drops more (and reports a slow consumer on the connection).
const natsQueue = 1 << 16

// NATSBroker is a Broker over core NATS (no JetStream: signaling needs no
// persistence). Each topic is one subject; all subscriptions feed one
// channel and one dispatcher goroutine, so a thousand calls cost a thousand
// subscriptions, not a thousand goroutines.
type NATSBroker struct {
	nc   *nats.Conn
	msgs chan *nats.Msg
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu   sync.RWMutex
	subs map[*nats.Subscription]func([]byte)
}

// NewNATSBroker returns a broker over nc and starts its dispatcher. The
// caller keeps nc, and closes it after Close.
func NewNATSBroker(nc *nats.Conn) *NATSBroker {
	b := &NATSBroker{
		nc:   nc,
		msgs: make(chan *nats.Msg, natsQueue),
		done: make(chan struct{}),
		subs: make(map[*nats.Subscription]func([]byte)),
	}
	b.wg.Add(1)
	go b.dispatch()
	return b
}

func (b *NATSBroker) dispatch() {
	defer b.wg.Done()
	for {
		select {
		case m := <-b.msgs:
			b.mu.RLock()
			f := b.subs[m.Sub]
			b.mu.RUnlock()
			if f != nil {
				f(m.Data)
			}
		case <-b.done:
			return
		}
	}
}

// Publish sends data on the topic's subject. It fails when the connection
// is closed or its reconnect buffer is full.
func (b *NATSBroker) Publish(topic string, data []byte) error {
	if err := b.nc.Publish(SubjectPrefix+topic, data); err != nil {
		return fmt.Errorf("nats publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe subscribes to the topic's subject.
func (b *NATSBroker) Subscribe(topic string, deliver func([]byte)) (func(), error) {
	// Hold the lock across ChanSubscribe so the dispatcher cannot see a
	// message for the subscription before deliver is registered.
	b.mu.Lock()
	defer b.mu.Unlock()
	sub, err := b.nc.ChanSubscribe(SubjectPrefix+topic, b.msgs)
	if err != nil {
		return nil, fmt.Errorf("nats subscribe %s: %w", topic, err)
	}
	b.subs[sub] = deliver
	return func() {
		_ = sub.Unsubscribe()
		b.mu.Lock()
		delete(b.subs, sub)
		b.mu.Unlock()
	}, nil
}

// Close unsubscribes everything and stops the dispatcher. It does not close
// the NATS connection.
func (b *NATSBroker) Close() error {
	b.mu.Lock()
	for sub := range b.subs {
		_ = sub.Unsubscribe()
		delete(b.subs, sub)
	}
	b.mu.Unlock()
	b.once.Do(func() { close(b.done) })
	b.wg.Wait()
	return nil
}
