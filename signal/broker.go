package signaling

import (
	"encoding/json"
	"sync"
)

// Broker carries envelopes between the Hubs of every instance that serves
// signaling. Hubs publish presence (a participant joined or left), relayed
// messages, and CloseCall on it; each Hub subscribes to the topics of the
// calls it has connections for, plus a control topic.
//
// Delivery is at most once. Envelopes one publisher sends on one topic
// arrive in the order it sent them. A Broker delivers a Hub's own
// envelopes back to it too; the Hub ignores them.
type Broker interface {
	// Publish sends data to every subscriber of topic. It must not block
	// for long and must not call back into the publisher.
	Publish(topic string, data []byte) error
	// Subscribe calls deliver with the data of every envelope published on
	// topic until unsubscribe is called. deliver must not keep or modify
	// data after it returns. Topics are made of letters, digits, '_' and
	// '-'.
	Subscribe(topic string, deliver func(data []byte)) (unsubscribe func(), err error)
}

// LocalBroker is the in-process Broker: every Hub sharing one is as if on
// one instance. Publish calls the subscribers synchronously, in the
// publisher's goroutine.
type LocalBroker struct {
	mu     sync.Mutex
	next   int
	topics map[string]map[int]func([]byte)
}

// NewLocalBroker returns an empty in-process broker.
func NewLocalBroker() *LocalBroker {
	return &LocalBroker{topics: make(map[string]map[int]func([]byte))}
}

// Publish delivers data to the current subscribers of topic. It never fails.
func (b *LocalBroker) Publish(topic string, data []byte) error {
	b.mu.Lock()
	subs := make([]func([]byte), 0, len(b.topics[topic]))
	for _, f := range b.topics[topic] {
		subs = append(subs, f)
	}
	b.mu.Unlock()
	// Deliver outside the lock: a subscriber may publish or subscribe.
	for _, f := range subs {
		f(data)
	}
	return nil
}

// Subscribe registers deliver for topic. It never fails.
func (b *LocalBroker) Subscribe(topic string, deliver func([]byte)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	id := b.next
	if b.topics[topic] == nil {
		b.topics[topic] = make(map[int]func([]byte))
	}
	b.topics[topic][id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.topics[topic], id)
		if len(b.topics[topic]) == 0 {
			delete(b.topics, topic)
		}
	}, nil
}

// size reports how many topics have subscribers (for tests).
func (b *LocalBroker) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.topics)
}

// Envelope kinds.
const (
	kindJoin  = "join"  // a connection for a participant is up
	kindHere  = "here"  // reply to a join: the participants on this instance
	kindLeave = "leave" // a participant's current connection is gone
	kindMsg   = "msg"   // a relayed message
	kindClose = "close" // CloseCall, on the control topic
	kindBeat  = "beat"  // heartbeat: the participants an instance holds
	// kindRemove closes one participant's socket (Hub.Remove), on the
	// control topic; To names the participant, Reason the why.
	kindRemove = "remove"
)

// envelope is what Hubs say to each other over the Broker.
type envelope struct {
	Kind     string `json:"k"`
	Instance string `json:"i"`
	Call     string `json:"c"`
	// Peers: join, leave and msg carry one (msg: the sender), here and
	// beat carry every local one.
	Peers []peerInfo `json:"ps,omitempty"`
	// From, To and Out carry a relayed message; Out is the server message,
	// encoded once by the sender's instance.
	From string          `json:"f,omitempty"`
	To   string          `json:"t,omitempty"`
	Out  json.RawMessage `json:"o,omitempty"`
	// Reason is why a call ended (close).
	Reason string `json:"r,omitempty"`
	// Orphan marks a leave whose instance is shutting down, so another
	// instance must run the grace timer.
	Orphan bool `json:"x,omitempty"`
}

// peerInfo names one connection of one participant. Conn ids sort by
// creation time, so a larger one is newer.
type peerInfo struct {
	Participant string `json:"p"`
	Conn        string `json:"c"`
	Role        string `json:"r"`
}

// controlTopic carries CloseCall to every instance.
const controlTopic = "_control"

// callTopic is the Broker topic of a call: its id when that is a safe
// subject token (ULIDs are), otherwise a hex encoding of it.
func callTopic(callID string) string {
	safe := callID != "" && callID[0] != '_' && len(callID) <= 128
	for i := 0; safe && i < len(callID); i++ {
		c := callID[i]
		safe = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if safe {
		return callID
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 2+2*len(callID))
	b = append(b, "_x"...)
	for i := 0; i < len(callID); i++ {
		b = append(b, hex[callID[i]>>4], hex[callID[i]&15])
	}
	return string(b)
}
