// Package zabbixtest runs a stand-in Zabbix server trapper on loopback for
// tests: it reads sender data frames, records what was sent, and answers
// as a Zabbix server does, refusing items for hosts or keys it does not
// know.
package zabbixtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/zabbix"
)

// maxRequest bounds a request's data, like the server's own limit but
// far lower: tests send a few items.
const maxRequest = 16 << 20

// Options say which items a Server accepts, as a Zabbix server accepts
// only values for trapper items that exist on hosts that exist.
type Options struct {
	// Host, when set, is the only host the server knows: items for any
	// other host are refused.
	Host string
	// Keys, when not nil, are the keys of the host's trapper items:
	// items with other keys are refused. Nil accepts every key.
	Keys []string
}

// Request is one sender data request as the server received it.
type Request struct {
	Request string  `json:"request"`
	Data    []Value `json:"data"`
	Clock   int64   `json:"clock"`
	NS      int64   `json:"ns"`
}

// Value is one item's value in a Request. Clock and NS are zero when the
// sender left them out.
type Value struct {
	Host  string `json:"host"`
	Key   string `json:"key"`
	Value string `json:"value"`
	Clock int64  `json:"clock"`
	NS    int64  `json:"ns"`
}

// Server is a stand-in Zabbix server trapper listening on 127.0.0.1.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string

	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu       sync.Mutex
	requests []Request
	errs     []error
}

// NewServer starts a Server on a free port of 127.0.0.1 and stops it
// when the test ends, failing the test if a connection brought a frame
// the server could not read.
func NewServer(tb testing.TB, o Options) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("zabbixtest: listening on 127.0.0.1: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), opts: o, ln: ln}
	s.wg.Add(1)
	go s.serve()
	tb.Cleanup(func() {
		s.Close()
		for _, err := range s.Errors() {
			tb.Errorf("zabbixtest: %v", err)
		}
	})
	return s
}

// Close stops the server and waits for the connections it is serving.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Errors returns what went wrong reading requests so far: frames that
// were not Zabbix frames, or JSON that was not sender data.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			if err := s.handle(conn); err != nil {
				s.mu.Lock()
				s.errs = append(s.errs, err)
				s.mu.Unlock()
			}
		}()
	}
}

// handle answers one connection's request as Zabbix does, then closes
// it: the trapper reads one request per connection.
func (s *Server) handle(conn net.Conn) error {
	start := time.Now()
	_ = conn.SetDeadline(start.Add(10 * time.Second)) // a stuck client must not hang Close
	raw, err := zabbix.ReadFrame(conn, maxRequest)
	if err != nil {
		return fmt.Errorf("request from %s: %w", conn.RemoteAddr(), err)
	}
	var req Request
	if err := json.Unmarshal(raw, &req); err != nil || req.Request != "sender data" {
		// Zabbix answers a request it cannot read with "failed"; the
		// error returned below is the one the test needs to see.
		_ = answer(conn, "failed", "cannot read the request")
		if err == nil {
			err = fmt.Errorf("request is %q, not \"sender data\"", req.Request)
		}
		return fmt.Errorf("request from %s: %w: %s", conn.RemoteAddr(), err, raw)
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	processed := 0
	for _, v := range req.Data {
		if s.accepts(v) {
			processed++
		}
	}
	info := fmt.Sprintf("processed: %d; failed: %d; total: %d; seconds spent: %.6f",
		processed, len(req.Data)-processed, len(req.Data), time.Since(start).Seconds())
	return answer(conn, "success", info)
}

func (s *Server) accepts(v Value) bool {
	if s.opts.Host != "" && v.Host != s.opts.Host {
		return false
	}
	return s.opts.Keys == nil || slices.Contains(s.opts.Keys, v.Key)
}

func answer(conn net.Conn, response, info string) error {
	b, err := json.Marshal(struct {
		Response string `json:"response"`
		Info     string `json:"info"`
	}{response, info})
	if err != nil {
		return fmt.Errorf("encoding the answer: %w", err)
	}
	if err := zabbix.WriteFrame(conn, b); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("answering %s: %w", conn.RemoteAddr(), err)
	}
	return nil
}
