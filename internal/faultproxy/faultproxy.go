// Package faultproxy provides a fault-injecting TCP proxy for integration
// tests: it listens on loopback, forwards each connection to a target over
// real sockets and can add latency, resets, blackholes, trickled responses or
// refused connections, switchable while the test runs.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by [Proxy.Set] after [Proxy.Close].
var ErrClosed = errors.New("faultproxy: proxy closed")

// Leaving Refuse listens again on the same port. The port is free while the
// proxy refuses, so the kernel may have handed it out meanwhile, typically as
// the local port of an outgoing connection (possibly the proxy's own dial to
// the target). Such a connection is short-lived in tests, so Set retries for
// a while before giving up.
const (
	rebindTimeout  = 2 * time.Second
	rebindInterval = 10 * time.Millisecond
)

// Proxy is a TCP proxy on 127.0.0.1 that forwards every accepted connection
// to a target address and injects the current [Fault]. Its methods are safe
// for concurrent use. Create one with [New] and stop it with [Proxy.Close].
type Proxy struct {
	target string
	addr   string
	dialer net.Dialer

	// ctx is cancelled by Close. It is the parent of every connection's
	// context, so Close also cuts dials and injected delays short.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex   // serialises Set and Close
	ln     net.Listener // nil while refusing and after Close
	closed bool

	mode atomic.Pointer[mode]

	connMu sync.Mutex
	conns  map[*link]struct{}

	wg sync.WaitGroup // accept loops and connection goroutines

	accepted  atomic.Int64
	bytesUp   atomic.Int64
	bytesDown atomic.Int64
	resets    atomic.Int64
}

// Stats counts what a [Proxy] has done since [New].
type Stats struct {
	Accepted  int64 // connections accepted, whatever became of them
	Open      int   // connections open now
	BytesUp   int64 // bytes forwarded from clients to the target
	BytesDown int64 // bytes forwarded from the target to clients
	Resets    int64 // connections closed with an injected TCP RST
}

// New starts a proxy on 127.0.0.1 with a port chosen by the kernel that
// forwards to target, a "host:port" address such as
// httptest.Server.Listener.Addr().String(). It starts in [Pass] mode. The
// target is dialled once per accepted connection, not by New.
func New(target string) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("parsing target %q: %w", target, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	p := &Proxy{
		target: target,
		addr:   ln.Addr().String(),
		ctx:    ctx,
		cancel: cancel,
		ln:     ln,
		conns:  make(map[*link]struct{}),
	}
	p.mode.Store(newMode(Pass{}))
	p.wg.Go(func() { p.serve(ln) })
	return p, nil
}

// Addr returns the proxy's address, "127.0.0.1:port". It does not change for
// the life of the proxy, including across [Refuse].
func (p *Proxy) Addr() string { return p.addr }

// URL returns "http://" + [Proxy.Addr], for use as an HTTP base URL.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Fault returns the current fault.
func (p *Proxy) Fault() Fault { return p.mode.Load().fault }

// Set makes f the current fault; a nil f means [Pass]. Every call starts a
// new mode, even with an equal fault, which restarts [ResetAfter] budgets.
//
// Set(Refuse{}) closes the listener. Setting any other fault after Refuse
// listens on the same address again before Set returns; if the port has been
// taken meanwhile, Set retries for about two seconds and then returns the
// error and stays in Refuse mode, so a later Set may try again. Apart from
// that, Set fails only after Close, with [ErrClosed].
func (p *Proxy) Set(f Fault) error {
	if f == nil {
		f = Pass{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	_, refuse := f.(Refuse)
	switch {
	case refuse && p.ln != nil:
		// Switch first, so a connection accepted before the listener
		// closes is reset rather than forwarded.
		p.swap(f)
		// The accept loop sees the close; there is nothing else to undo.
		_ = p.ln.Close()
		p.ln = nil
	case !refuse && p.ln == nil:
		ln, err := p.rebind()
		if err != nil {
			return err
		}
		p.ln = ln
		p.swap(f)
		p.wg.Go(func() { p.serve(ln) })
	default:
		p.swap(f)
	}
	return nil
}

// swap installs a new mode for f and wakes connections waiting for a change.
// The caller holds p.mu.
func (p *Proxy) swap(f Fault) {
	old := p.mode.Swap(newMode(f))
	close(old.changed)
}

// rebind listens on p.addr again, retrying while the port is taken. The
// caller holds p.mu.
func (p *Proxy) rebind() (net.Listener, error) {
	var lc net.ListenConfig
	deadline := time.Now().Add(rebindTimeout)
	for {
		ln, err := lc.Listen(p.ctx, "tcp", p.addr)
		if err == nil {
			return ln, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("listening on %s again: %w", p.addr, err)
		}
		select {
		case <-p.ctx.Done():
			return nil, ErrClosed
		case <-time.After(rebindInterval):
		}
	}
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	p.connMu.Lock()
	open := len(p.conns)
	p.connMu.Unlock()
	return Stats{
		Accepted:  p.accepted.Load(),
		Open:      open,
		BytesUp:   p.bytesUp.Load(),
		BytesDown: p.bytesDown.Load(),
		Resets:    p.resets.Load(),
	}
}

// CloseConnections closes every open connection now, client and target side,
// with FIN rather than RST, and without counting resets. Clients that keep
// connections alive then dial again and meet the current fault as a new
// connection. Connections accepted afterwards are not affected.
func (p *Proxy) CloseConnections() {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	for l := range p.conns {
		l.close(false)
	}
}

// Close stops accepting, closes every open connection and waits until all
// of the proxy's goroutines have returned. After Close the address refuses
// connections and Set returns [ErrClosed]. Close is idempotent; later calls
// wait the same way and return nil.
func (p *Proxy) Close() error {
	// Cancel before taking mu, to cut short a Set that is retrying a rebind.
	p.cancel()
	var err error
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		if p.ln != nil {
			if cerr := p.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
				err = fmt.Errorf("closing listener: %w", cerr)
			}
			p.ln = nil
		}
	}
	p.mu.Unlock()
	p.CloseConnections()
	p.wg.Wait()
	return err
}

// serve accepts connections on ln until it is closed.
func (p *Proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient errors such as EMFILE: back off as net/http.Server
			// does rather than spin.
			select {
			case <-p.ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		p.accepted.Add(1)
		// Take the mode now, so a connection meets the fault that was set
		// when it was accepted however late its goroutine runs.
		m := p.mode.Load()
		if l := p.track(c); l != nil {
			p.wg.Go(func() { p.handle(l, m) })
		}
	}
}

// track registers a new connection, or closes it and returns nil if the
// proxy is closing. Checking under connMu pairs with Close, which cancels
// p.ctx before it closes the registered connections.
func (p *Proxy) track(c net.Conn) *link {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	if p.ctx.Err() != nil {
		_ = c.Close()
		return nil
	}
	l := newLink(p.ctx, c)
	p.conns[l] = struct{}{}
	return l
}

func (p *Proxy) untrack(l *link) {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	delete(p.conns, l)
}

// reset closes l with a TCP RST and counts it, unless l was already closed.
func (p *Proxy) reset(l *link) {
	if l.close(true) {
		p.resets.Add(1)
	}
}
