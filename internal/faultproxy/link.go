package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// chunkSize is the most the proxy reads, and so forwards, at once.
const chunkSize = 32 << 10

// direction is the way bytes travel through a link.
type direction int

const (
	up   direction = iota // client to target
	down                  // target to client
)

// link is one accepted connection and, once dialled, its connection to the
// target.
type link struct {
	client net.Conn

	// ctx is done once the link is closed or the proxy closes; it bounds
	// the dial and every injected delay.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	upstream net.Conn // nil until dialled, and for blackholed links
	closed   bool
}

func newLink(parent context.Context, c net.Conn) *link {
	ctx, cancel := context.WithCancel(parent)
	return &link{client: c, ctx: ctx, cancel: cancel}
}

// setUpstream records the dialled target connection. It reports false, and
// closes c, if the link was closed during the dial.
func (l *link) setUpstream(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return false
	}
	l.upstream = c
	return true
}

// close closes both sides of l, the client side with a TCP RST if rst is
// set, and reports whether this call was the one that closed it. Errors are
// ignored: the peer may have gone already, and nothing is left to undo.
func (l *link) close(rst bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closed = true
	if rst {
		// SO_LINGER 0 makes close send RST and drop unsent data.
		if tc, ok := l.client.(interface{ SetLinger(int) error }); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = l.client.Close()
	if l.upstream != nil {
		_ = l.upstream.Close()
	}
	l.cancel()
	return true
}

// sleep waits for d and reports whether the link is still open.
func (l *link) sleep(d time.Duration) bool {
	if d <= 0 {
		return l.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.ctx.Done():
		return false
	}
}

// handle serves one connection accepted under mode m until it closes.
func (p *Proxy) handle(l *link, m *mode) {
	defer p.untrack(l)
	defer l.close(false)
	switch m.fault.(type) {
	case Reset, Refuse:
		// Refuse: accepted just before the listener closed. The kernel
		// resets connections still in the backlog; do the same.
		p.reset(l)
	case Blackhole:
		p.blackhole(l, m)
	default:
		p.forwardConn(l)
	}
}

// blackhole discards what the client sends until the link closes or the
// mode changes away from Blackhole.
func (p *Proxy) blackhole(l *link, m *mode) {
	drained := make(chan struct{})
	p.wg.Go(func() {
		defer close(drained)
		// The read ends when the client or the proxy closes the link;
		// its error says nothing either way.
		_, _ = io.Copy(io.Discard, l.client)
		l.close(false)
	})
	// Wait for the reader, so that a link no longer counted as open has no
	// goroutine left.
	defer func() { <-drained }()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-m.changed:
			m = p.mode.Load()
			if _, ok := m.fault.(Blackhole); !ok {
				l.close(false)
				return
			}
		}
	}
}

// forwardConn dials the target and pipes both directions until the target
// side ends.
func (p *Proxy) forwardConn(l *link) {
	c, err := p.dialer.DialContext(l.ctx, "tcp", p.target)
	if err != nil {
		// The target is down: the client sees its connection close, as
		// through any TCP proxy.
		return
	}
	if !l.setUpstream(c) {
		return
	}
	upDone := make(chan struct{})
	p.wg.Go(func() {
		defer close(upDone)
		p.pipe(l, up)
	})
	p.pipe(l, down)
	// Wait for the request side too, so that Stats counts all of a link's
	// bytes once it is no longer open.
	l.close(false)
	<-upDone
}

// pipe copies one direction of l, applying the current fault to each chunk.
func (p *Proxy) pipe(l *link, dir direction) {
	src := l.client
	if dir == down {
		src = l.upstream
	}
	buf := make([]byte, chunkSize)
	var rb resetBudget
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.forward(l, dir, buf[:n], &rb) {
			l.close(false)
			return
		}
		if err == nil {
			continue
		}
		if dir == up && errors.Is(err, io.EOF) {
			// The client half-closed: pass that on and let the
			// response finish.
			if cw, ok := l.upstream.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			return
		}
		l.close(false)
		return
	}
}

// resetBudget counts the response bytes one link has forwarded under one
// ResetAfter mode.
type resetBudget struct {
	mode *mode
	sent int64
}

// forward passes b on in direction dir under the current fault and reports
// whether the link is still usable.
func (p *Proxy) forward(l *link, dir direction, b []byte, rb *resetBudget) bool {
	m := p.mode.Load()
	switch f := m.fault.(type) {
	case Reset:
		p.reset(l)
		return false
	case Blackhole:
		return true
	case Latency:
		d := f.Up
		if dir == down {
			d = f.Down
		}
		return l.sleep(d) && p.write(l, dir, b)
	case SlowBytes:
		if dir == up {
			return p.write(l, dir, b)
		}
		return p.trickle(l, m, max(f.BytesPerSecond, 1), b, rb)
	case ResetAfter:
		if dir == up {
			return p.write(l, dir, b)
		}
		if rb.mode != m {
			rb.mode, rb.sent = m, 0
		}
		left := max(f.Bytes-rb.sent, 0)
		if int64(len(b)) < left {
			rb.sent += int64(len(b))
			return p.write(l, dir, b)
		}
		if left > 0 && !p.write(l, dir, b[:left]) {
			return false
		}
		p.reset(l)
		return false
	default: // Pass, and Refuse, which leaves open connections alone
		return p.write(l, dir, b)
	}
}

// trickle writes the response chunk b in pieces paced to rate bytes per
// second while mode m lasts, and hands the rest back to forward if the mode
// changes.
func (p *Proxy) trickle(l *link, m *mode, rate int, b []byte, rb *resetBudget) bool {
	piece := max(rate/50, 1)
	start := time.Now()
	for sent := 0; sent < len(b); {
		if p.mode.Load() != m {
			return p.forward(l, down, b[sent:], rb)
		}
		n := min(piece, len(b)-sent)
		// Pace against the start of the chunk, not piece by piece, so
		// timer slack does not add up.
		due := start.Add(time.Duration(sent+n) * time.Second / time.Duration(rate))
		if !l.sleep(time.Until(due)) || !p.write(l, down, b[sent:sent+n]) {
			return false
		}
		sent += n
	}
	return true
}

// write writes b to the far side for dir and counts the bytes written.
func (p *Proxy) write(l *link, dir direction, b []byte) bool {
	dst, count := l.upstream, &p.bytesUp
	if dir == down {
		dst, count = l.client, &p.bytesDown
	}
	n, err := dst.Write(b)
	count.Add(int64(n))
	return err == nil
}
