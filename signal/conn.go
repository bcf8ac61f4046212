package signaling

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/oklog/ulid/v2"
	"golang.org/x/time/rate"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// A client that lets more than queueLen messages or queueBytes bytes wait
// for its writer is not reading (ErrSlow).
const (
	queueLen   = 256
	queueBytes = 1 << 20
)

// conn is one participant's WebSocket, served galene's way: a reader
// goroutine reads frames and hands messages to the loop; one writer writes
// queued messages, each within WriteTimeout, then the close frame; and the
// loop (serve) owns the connection's state and decides when it ends.
//
// Two things keep an idle socket small. The handler's goroutine returns
// after the upgrade, so net/http's request state is not kept for the life
// of the socket. And the writer goroutine runs only while there is
// something to write: send starts it when the queue stops being empty and
// it exits when the queue is empty again, so there is never more than one,
// and an idle socket has none.
type conn struct {
	h           *Hub
	ws          *websocket.Conn
	id          string // a ULID: sorts by creation, so newer > older
	call        string
	participant string
	role        string
	limiter     *rate.Limiter

	in         chan inbound  // reader → loop
	readErr    chan error    // the reader's final error
	done       chan struct{} // closed when loop has returned
	readerDone chan struct{}
	kicked     chan struct{} // closed by kick
	flushed    chan struct{} // closed once the close frame is out or the socket broke
	flushOnce  sync.Once
	writers    sync.WaitGroup

	lastSeen atomic.Int64 // Hub.mono() of the last frame from the client
	pinging  atomic.Bool
	pings    sync.WaitGroup

	mu      sync.Mutex
	queue   [][]byte // messages for the writer; nil when idle
	queued  int      // bytes in queue
	writing bool     // the writer goroutine is running
	closed  bool     // no more messages: the writer sends the close frame after queue
	broken  bool     // a write failed and the socket is closed
	why     error    // the first kick's reason
	code    websocket.StatusCode
	reason  string
}

type inbound struct {
	data   []byte
	binary bool
}

func newConn(h *Hub, s token.Signaling) *conn {
	return &conn{
		h:           h,
		id:          ulid.Make().String(),
		call:        s.CallID,
		participant: s.Participant,
		role:        s.Role,
		limiter:     rate.NewLimiter(h.cfg.RateLimit, h.cfg.RateBurst),
		in:          make(chan inbound),
		readErr:     make(chan error, 1),
		done:        make(chan struct{}),
		readerDone:  make(chan struct{}),
		kicked:      make(chan struct{}),
		flushed:     make(chan struct{}),
	}
}

// serve runs a registered connection until it ends, then waits for its
// goroutines.
func (c *conn) serve() {
	defer c.h.conns.Done()
	go c.reader()

	why := c.loop()
	close(c.done)
	c.h.leave(c, why)

	c.mu.Lock()
	c.closed = true
	c.code, c.reason = closeStatus(why)
	if !c.broken {
		c.startWriterLocked() // to flush the queue and send the close frame
	}
	c.mu.Unlock()
	// A client that does not take what is queued (an error message, say)
	// and the close frame within WriteTimeout is cut off.
	t := time.NewTimer(c.h.cfg.WriteTimeout)
	select {
	case <-c.flushed:
	case <-t.C:
		c.ws.CloseNow()
		<-c.flushed
	}
	t.Stop()
	c.writers.Wait()
	<-c.readerDone
	c.pings.Wait()
	if why != nil && !errors.Is(why, errClientGone) {
		c.h.log.Debug("signaling connection closed", "call", c.call, "participant", c.participant,
			"code", int(c.code), "reason", c.reason)
	}
}

// loop owns the connection: it handles the client's messages, pings after
// PingInterval of silence, and returns why the connection ends.
func (c *conn) loop() error {
	cfg := &c.h.cfg
	timer := time.NewTimer(cfg.PingInterval)
	defer timer.Stop()
	for {
		select {
		case m := <-c.in:
			if err := c.handle(m); err != nil {
				return err
			}
		case err := <-c.readErr:
			if errors.Is(err, websocket.ErrMessageTooBig) {
				return vidivo.Errorf(vidivo.EPAYLOADTOOLARGE, "message too big")
			}
			return errClientGone
		case <-c.kicked:
			c.mu.Lock()
			why := c.why
			c.mu.Unlock()
			return why
		case <-timer.C:
			idle := time.Duration(c.h.mono() - c.lastSeen.Load())
			if idle >= cfg.PongTimeout {
				return ErrDeadPeer
			}
			next := cfg.PingInterval - idle
			if idle >= cfg.PingInterval {
				c.ping()
				next = min(cfg.PingInterval, cfg.PongTimeout-idle)
			}
			timer.Reset(next)
		}
	}
}

// handle takes one client message. It returns an error only when the
// connection must end: a rate-limit breach or a spoofed from. Other
// mistakes get an error message and the connection stays.
func (c *conn) handle(m inbound) error {
	if !c.limiter.Allow() {
		err := vidivo.Errorf(vidivo.ERATELIMITED, "rate limit exceeded")
		c.send(errorMessage(err))
		return err
	}
	if m.binary {
		c.send(errorMessage(vidivo.Errorf(vidivo.EVALIDATION, "binary messages are not supported")))
		return nil
	}
	msg, err := parseClient(m.data)
	if err == nil {
		err = c.h.relay(c, msg)
	}
	if err != nil {
		c.send(errorMessage(err))
		if vidivo.ErrorCode(err) == vidivo.EFORBIDDEN {
			return err
		}
	}
	return nil
}

// reader reads the client's messages until the socket closes.
func (c *conn) reader() {
	defer close(c.readerDone)
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.readErr <- err
			return
		}
		c.lastSeen.Store(c.h.mono())
		select {
		case c.in <- inbound{data: data, binary: typ != websocket.MessageText}:
		case <-c.done:
			// Keep reading until the socket closes so the close handshake
			// completes; discard messages.
		}
	}
}

// writer writes the queue, each message within WriteTimeout, until it is
// empty; then it exits, or, if the connection is closed, sends the close
// frame. A failed write closes the socket and ends the connection.
func (c *conn) writer() {
	defer c.writers.Done()
	for {
		c.mu.Lock()
		batch, closing := c.queue, c.closed
		c.queue, c.queued = nil, 0
		if len(batch) == 0 {
			c.writing = false
			c.mu.Unlock()
			if closing {
				c.ws.Close(c.code, c.reason)
				c.flushOnce.Do(func() { close(c.flushed) })
			}
			return
		}
		c.mu.Unlock()
		for _, m := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.WriteTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, m)
			cancel()
			if err != nil {
				c.ws.CloseNow()
				c.mu.Lock()
				c.broken, c.writing, c.queue = true, false, nil
				c.kickLocked(errClientGone)
				c.mu.Unlock()
				c.flushOnce.Do(func() { close(c.flushed) })
				return
			}
		}
	}
}

// send queues a message for the client without blocking, starting the
// writer if it is not running; too long a queue ends the connection
// (ErrSlow). Safe from any goroutine.
func (c *conn) send(m []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.broken {
		return
	}
	if len(c.queue) >= queueLen || c.queued+len(m) > queueBytes {
		c.kickLocked(ErrSlow)
		return
	}
	c.queue = append(c.queue, m)
	c.queued += len(m)
	c.startWriterLocked()
}

func (c *conn) startWriterLocked() {
	if !c.writing {
		c.writing = true
		c.writers.Add(1)
		go c.writer()
	}
}

// kick asks loop to end the connection for why; the first reason wins.
// Safe from any goroutine; never blocks.
func (c *conn) kick(why error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kickLocked(why)
}

func (c *conn) kickLocked(why error) {
	if c.why == nil {
		c.why = why
		close(c.kicked)
	}
}

// ping sends a ping unless one is outstanding. Ping waits for the pong, so
// it runs in a short-lived goroutine; the pong itself is noted by pong.
func (c *conn) ping() {
	if !c.pinging.CompareAndSwap(false, true) {
		return
	}
	c.pings.Add(1)
	go func() {
		defer c.pings.Done()
		defer c.pinging.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.PongTimeout)
		defer cancel()
		_ = c.ws.Ping(ctx)
	}()
}

// pong notes a pong from the client (websocket.AcceptOptions.OnPongReceived).
func (c *conn) pong(context.Context, []byte) { c.lastSeen.Store(c.h.mono()) }
