package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// newTarget starts an HTTP server that answers every request with 200 and
// body, with a Content-Length.
func newTarget(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newProxy starts a proxy in front of srv and closes it when the test ends.
func newProxy(t *testing.T, srv *httptest.Server) *Proxy {
	t.Helper()
	p, err := New(srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// newClient returns a client with its own transport, closed when the test
// ends. Without keepAlive every request dials a new connection.
func newClient(t *testing.T, keepAlive bool, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: !keepAlive}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// result is what one GET through the proxy gave.
type result struct {
	status  int
	body    []byte
	err     error // from Do
	bodyErr error // from reading the body
	elapsed time.Duration
}

func get(c *http.Client, url string) result {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return result{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	body, bodyErr := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: body, bodyErr: bodyErr, elapsed: time.Since(start)}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func TestProxy_Set(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KiB
	tests := []struct {
		name        string
		fault       Fault
		body        []byte
		timeout     time.Duration    // client timeout; 0 means 3s
		wantErr     func(error) bool // for the error from Do; nil wants none
		wantBodyErr func(error) bool // for reading the body; nil wants none
		minElapsed  time.Duration
		maxElapsed  time.Duration // 0 means no bound
	}{
		{name: "pass", fault: Pass{}, body: body},
		{name: "nil is pass", fault: nil, body: body},
		{name: "latency down", fault: Latency{Down: 100 * time.Millisecond}, body: []byte("ok"), minElapsed: 100 * time.Millisecond},
		{name: "latency up and down", fault: Latency{Up: 60 * time.Millisecond, Down: 60 * time.Millisecond}, body: []byte("ok"), minElapsed: 120 * time.Millisecond},
		{name: "reset", fault: Reset{}, body: body, wantErr: isReset},
		{name: "reset after headers", fault: ResetAfter{Bytes: 1024}, body: body, wantBodyErr: isReset},
		{name: "reset after zero bytes", fault: ResetAfter{}, body: body, wantErr: isReset},
		{name: "blackhole", fault: Blackhole{}, body: body, timeout: 200 * time.Millisecond, wantErr: isTimeout, minElapsed: 200 * time.Millisecond},
		// 4000 body bytes and about 100 header bytes at 20000 B/s.
		{name: "slow bytes", fault: SlowBytes{BytesPerSecond: 20000}, body: body[:4000], minElapsed: 200 * time.Millisecond, maxElapsed: 1500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, newTarget(t, tc.body))
			if err := p.Set(tc.fault); err != nil {
				t.Fatalf("Set(%v): %v", tc.fault, err)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 3 * time.Second
			}
			r := get(newClient(t, false, timeout), p.URL())

			switch {
			case tc.wantErr != nil:
				if r.err == nil || !tc.wantErr(r.err) {
					t.Fatalf("Get error = %v; want a matching error", r.err)
				}
			case r.err != nil:
				t.Fatalf("Get error = %v; want none", r.err)
			case r.status != http.StatusOK:
				t.Fatalf("status = %d; want %d", r.status, http.StatusOK)
			case tc.wantBodyErr != nil:
				if r.bodyErr == nil || !tc.wantBodyErr(r.bodyErr) {
					t.Errorf("body error = %v; want a matching error", r.bodyErr)
				}
				if len(r.body) >= len(tc.body) {
					t.Errorf("got %d body bytes; want fewer than %d", len(r.body), len(tc.body))
				}
			case r.bodyErr != nil:
				t.Fatalf("body error = %v; want none", r.bodyErr)
			case !bytes.Equal(r.body, tc.body):
				t.Errorf("got %d body bytes; want the target's %d", len(r.body), len(tc.body))
			}
			if r.elapsed < tc.minElapsed {
				t.Errorf("took %v; want at least %v", r.elapsed, tc.minElapsed)
			}
			if tc.maxElapsed > 0 && r.elapsed > tc.maxElapsed {
				t.Errorf("took %v; want at most %v", r.elapsed, tc.maxElapsed)
			}
		})
	}
}

// TestProxy_SetExisting checks that a fault reaches a connection the client
// keeps alive, without CloseConnections.
func TestProxy_SetExisting(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		wantErr    bool
		minElapsed time.Duration
	}{
		{name: "latency", fault: Latency{Down: 100 * time.Millisecond}, minElapsed: 100 * time.Millisecond},
		{name: "reset", fault: Reset{}, wantErr: true},
		{name: "refuse leaves it open", fault: Refuse{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, newTarget(t, []byte("ok")))
			c := newClient(t, true, 3*time.Second)
			if r := get(c, p.URL()); r.err != nil || r.bodyErr != nil {
				t.Fatalf("first Get: %v, %v", r.err, r.bodyErr)
			}
			if err := p.Set(tc.fault); err != nil {
				t.Fatalf("Set(%v): %v", tc.fault, err)
			}
			r := get(c, p.URL())
			if gotErr := r.err != nil || r.bodyErr != nil; gotErr != tc.wantErr {
				t.Fatalf("second Get error = %v, %v; want error %t", r.err, r.bodyErr, tc.wantErr)
			}
			if r.elapsed < tc.minElapsed {
				t.Errorf("took %v; want at least %v", r.elapsed, tc.minElapsed)
			}
			if !tc.wantErr {
				if got := p.Stats().Accepted; got != 1 {
					t.Errorf("Accepted = %d; want 1 (the kept-alive connection)", got)
				}
			}
		})
	}
}

func TestProxy_Refuse(t *testing.T) {
	t.Parallel()
	p := newProxy(t, newTarget(t, []byte("ok")))
	c := newClient(t, false, 3*time.Second)
	addr := p.Addr()
	for i := range 2 {
		if err := p.Set(Refuse{}); err != nil {
			t.Fatalf("round %d: Set(Refuse): %v", i, err)
		}
		if r := get(c, p.URL()); !isRefused(r.err) {
			t.Fatalf("round %d: Get error = %v; want connection refused", i, r.err)
		}
		if err := p.Set(Pass{}); err != nil {
			t.Fatalf("round %d: Set(Pass): %v", i, err)
		}
		if got := p.Addr(); got != addr {
			t.Fatalf("round %d: Addr = %s; want %s", i, got, addr)
		}
		if r := get(c, p.URL()); r.err != nil || r.status != http.StatusOK || string(r.body) != "ok" {
			t.Fatalf("round %d: Get = %d %q, %v; want 200 \"ok\"", i, r.status, r.body, r.err)
		}
	}
}

func TestProxy_CloseConnections(t *testing.T) {
	t.Parallel()
	p := newProxy(t, newTarget(t, []byte("ok")))
	c := newClient(t, true, 3*time.Second)
	if r := get(c, p.URL()); r.err != nil {
		t.Fatalf("Get: %v", r.err)
	}
	if got := p.Stats().Open; got != 1 {
		t.Fatalf("Open = %d; want 1", got)
	}
	p.CloseConnections()
	waitFor(t, "no open connections", func() bool { return p.Stats().Open == 0 })
	if r := get(c, p.URL()); r.err != nil || string(r.body) != "ok" {
		t.Fatalf("Get after CloseConnections = %q, %v; want \"ok\"", r.body, r.err)
	}
	s := p.Stats()
	if s.Accepted != 2 || s.Resets != 0 {
		t.Errorf("Accepted, Resets = %d, %d; want 2, 0", s.Accepted, s.Resets)
	}
}

// TestProxy_BlackholeEnds checks that a blackholed connection is closed when
// the mode changes away from Blackhole.
func TestProxy_BlackholeEnds(t *testing.T) {
	t.Parallel()
	p := newProxy(t, newTarget(t, []byte("ok")))
	if err := p.Set(Blackhole{}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	waitFor(t, "the connection to be accepted", func() bool { return p.Stats().Open == 1 })
	if err := p.Set(Blackhole{}); err != nil { // still Blackhole: stays open
		t.Fatalf("Set: %v", err)
	}
	if err := p.Set(Pass{}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	n, err := conn.Read(make([]byte, 1))
	if n != 0 || !isReset(err) {
		t.Errorf("Read = %d, %v; want 0 and EOF or a reset", n, err)
	}
	if got := p.Stats().BytesUp; got != 0 {
		t.Errorf("BytesUp = %d; want 0", got)
	}
}

func TestProxy_Stats(t *testing.T) {
	t.Parallel()
	body := []byte("hello, stats")
	p := newProxy(t, newTarget(t, body))
	c := newClient(t, false, 3*time.Second)
	if r := get(c, p.URL()); r.err != nil {
		t.Fatalf("Get: %v", r.err)
	}
	if err := p.Set(Reset{}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	get(c, p.URL())
	waitFor(t, "connections to close", func() bool { return p.Stats().Open == 0 })
	s := p.Stats()
	if s.Accepted != 2 {
		t.Errorf("Accepted = %d; want 2", s.Accepted)
	}
	if s.Resets != 1 {
		t.Errorf("Resets = %d; want 1", s.Resets)
	}
	if s.BytesUp == 0 {
		t.Errorf("BytesUp = 0; want the request's bytes")
	}
	if s.BytesDown <= int64(len(body)) {
		t.Errorf("BytesDown = %d; want more than the %d body bytes", s.BytesDown, len(body))
	}
}

// TestProxy_Flap switches faults while clients send requests, for the race
// detector; the requests may fail in any way.
func TestProxy_Flap(t *testing.T) {
	t.Parallel()
	p := newProxy(t, newTarget(t, bytes.Repeat([]byte("x"), 8<<10)))
	faults := []Fault{Pass{}, Latency{Down: time.Millisecond}, Reset{}, ResetAfter{Bytes: 100},
		Blackhole{}, SlowBytes{BytesPerSecond: 1 << 20}, Refuse{}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		c := newClient(t, i%2 == 0, 100*time.Millisecond)
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				get(c, p.URL())
			}
		})
	}
	for i := range 3 * len(faults) {
		if err := p.Set(faults[i%len(faults)]); err != nil {
			t.Errorf("Set(%v): %v", faults[i%len(faults)], err)
		}
		if i%3 == 0 {
			p.CloseConnections()
		}
		time.Sleep(10 * time.Millisecond)
		_ = p.Stats()
	}
	close(done)
	wg.Wait()
	if err := p.Set(Pass{}); err != nil {
		t.Fatalf("Set(Pass): %v", err)
	}
	if r := get(newClient(t, false, 3*time.Second), p.URL()); r.err != nil || r.bodyErr != nil {
		t.Errorf("Get after flapping: %v, %v", r.err, r.bodyErr)
	}
}

// TestProxy_Close is not parallel: it counts the process's goroutines.
func TestProxy_Close(t *testing.T) {
	srv := newTarget(t, []byte("ok"))
	before := runtime.NumGoroutine()

	p, err := New(srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// A kept-alive connection, a slow one in flight and a blackholed one.
	c := newClient(t, true, 3*time.Second)
	if r := get(c, p.URL()); r.err != nil {
		t.Fatalf("Get: %v", r.err)
	}
	if err := p.Set(Latency{Down: time.Hour}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	slow := make(chan result, 1)
	slowClient := newClient(t, false, 3*time.Second)
	go func() { slow <- get(slowClient, p.URL()) }()
	if err := p.Set(Blackhole{}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	waitFor(t, "three open connections", func() bool { return p.Stats().Open == 3 })

	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v; want it to cut delays short", d)
	}
	if r := <-slow; r.err == nil && r.bodyErr == nil {
		t.Errorf("slow Get succeeded; want it broken by Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Set(Pass{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close = %v; want ErrClosed", err)
	}
	if got := p.Stats().Open; got != 0 {
		t.Errorf("Open after Close = %d; want 0", got)
	}
	if _, err := net.Dial("tcp", p.Addr()); !isRefused(err) {
		t.Errorf("Dial after Close = %v; want connection refused", err)
	}

	c.CloseIdleConnections()
	after := runtime.NumGoroutine()
	for i := 0; i < 200 && after > before; i++ {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines = %d after Close; want at most %d as before\n%s", after, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		wantErr bool
	}{
		{name: "host and port", target: "127.0.0.1:9"},
		{name: "name and port", target: "localhost:80"},
		{name: "URL", target: "http://127.0.0.1:9", wantErr: true},
		{name: "no port", target: "127.0.0.1", wantErr: true},
		{name: "empty", target: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.target)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("New(%q) error = %v; want error %t", tc.target, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			defer p.Close()
			host, _, err := net.SplitHostPort(p.Addr())
			if err != nil || host != "127.0.0.1" {
				t.Errorf("Addr = %q; want 127.0.0.1:port", p.Addr())
			}
			if got, want := p.URL(), "http://"+p.Addr(); got != want {
				t.Errorf("URL = %q; want %q", got, want)
			}
			if _, ok := p.Fault().(Pass); !ok {
				t.Errorf("Fault = %v; want pass", p.Fault())
			}
		})
	}
}

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
