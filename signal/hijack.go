package signaling

import (
	"bufio"
	"net"
	"net/http"
)

// bufSize is the size of each socket's read and write buffer. net/http
// hands a hijacked connection over with 4 KiB of each, kept for the
// socket's life; signaling messages are mostly a few hundred bytes (an
// SDP is a few KiB) and most sockets are idle, so 1 KiB each saves 6 KiB a
// socket. Larger messages are still read and written whole: bufio passes
// reads and writes bigger than its buffer straight through.
const bufSize = 1 << 10

// smallBuffers is the http.ResponseWriter given to websocket.Accept: its
// Hijack returns the connection with bufSize buffers instead of
// net/http's.
type smallBuffers struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the original writer.
func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	n := brw.Reader.Buffered()
	if n > bufSize || brw.Writer.Buffered() > 0 {
		return conn, brw, nil // keep what net/http gave; nothing may be lost
	}
	r := bufio.NewReaderSize(conn, bufSize)
	if n > 0 {
		// Frames the client sent right behind its handshake: move them into
		// the new buffer, where websocket.Accept looks for them.
		b, _ := brw.Reader.Peek(n)
		r.Reset(&prefixReader{b: append([]byte(nil), b...), r: conn})
		if _, err := r.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, bufSize)), nil
}

// prefixReader reads b, then r.
type prefixReader struct {
	b []byte
	r net.Conn
}

func (p *prefixReader) Read(out []byte) (int, error) {
	if len(p.b) > 0 {
		n := copy(out, p.b)
		p.b = p.b[n:]
		return n, nil
	}
	return p.r.Read(out)
}
