package democrm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
)

// answer is one complete response, built before anything is written so that
// a fault can cut it short and the counters know its class.
type answer struct {
	status int
	header http.Header
	body   []byte
	class  string // the cause class crmguard should assign
	code   string // the vendor's error code, for logs
	// bare marks a page served by an edge proxy in front of the CRM, such as
	// a maintenance page: the dialect adds none of its own headers.
	bare bool
}

// jsonAnswer returns an answer carrying v as JSON. The dialect sets the
// Content-Type when it decorates the answer.
func jsonAnswer(status int, class string, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value passed here is built from JSON-safe types; keep the
		// failure visible rather than panicking.
		b = []byte(strconv.Quote(err.Error()))
		status, class = http.StatusInternalServerError, "server"
	}
	return answer{status: status, header: http.Header{}, body: b, class: class}
}

// pageAnswer returns an HTML or text page from the edge in front of a CRM.
func pageAnswer(status int, class, contentType, body string) answer {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	return answer{status: status, header: h, body: []byte(body), class: class, bare: true}
}

// write sends a complete answer.
func (s *Server) write(w http.ResponseWriter, a answer) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	if a.status != http.StatusNoContent && a.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(a.status)
	if len(a.body) > 0 {
		_, _ = w.Write(a.body)
	}
}

// cut breaks the connection. With early set it sends nothing; otherwise it
// sends the status line, the headers (announcing the full length) and the
// first half of a's body, then resets the connection. Where the connection
// cannot be hijacked (HTTP/2, recorders) it sends the headers and half the
// body through w and returns, which leaves the declared length unmet: the
// HTTP/1 server closes the connection and HTTP/2 resets the stream.
func cut(w http.ResponseWriter, a answer, early bool) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		for k, v := range a.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+1))
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body[:len(a.body)/2])
		return
	}
	if !early {
		var head bytes.Buffer
		fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
		h := a.header.Clone()
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		_ = h.Write(&head)
		head.WriteString("\r\n")
		partial := head.Bytes()
		if len(a.body) >= 2 {
			partial = append(partial, a.body[:len(a.body)/2]...)
		} else {
			// No body worth halving (204): cut inside the headers instead.
			partial = partial[:len(partial)/2]
		}
		_, _ = buf.Write(partial)
		_ = buf.Flush()
	}
	reset(conn, buf)
}

// reset closes conn so that the peer sees a TCP RST rather than an orderly
// FIN: with SO_LINGER at zero the kernel discards unsent data and resets.
func reset(conn net.Conn, buf *bufio.ReadWriter) {
	_ = buf.Flush()
	tcp, ok := conn.(*net.TCPConn)
	if !ok {
		if nc, isWrapper := conn.(interface{ NetConn() net.Conn }); isWrapper {
			tcp, ok = nc.NetConn().(*net.TCPConn)
		}
	}
	if ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// obj is a JSON object whose keys keep their order, so answers read like
// the vendor's (Salesforce puts "attributes" first, Odoo "id").
type obj []kv

// kv is one member of an obj.
type kv struct {
	k string
	v any
}

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, fmt.Errorf("marshaling %q: %w", m.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// readBody reads a request body of at most 4 MiB.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return b, nil
}
