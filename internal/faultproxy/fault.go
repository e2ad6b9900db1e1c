package faultproxy

import (
	"fmt"
	"time"
)

// Fault is a failure mode of the proxy, chosen with [Proxy.Set]. The
// implementations are the types of this package: [Pass], [Latency], [Reset],
// [ResetAfter], [Blackhole], [SlowBytes] and [Refuse].
//
// A fault decides what happens to connections accepted while it is set. On a
// connection that is already forwarding, the proxy looks the fault up again
// for every chunk it forwards, so Pass, Latency, SlowBytes, ResetAfter, Reset
// and Blackhole also take effect on kept-alive connections, at their next
// chunk; Refuse does not touch them. [Proxy.CloseConnections] breaks them at
// once instead.
type Fault interface {
	// String describes the fault for logs and test names.
	String() string

	// fault seals the interface: the proxy knows how to apply only the
	// faults of this package.
	fault()
}

// Pass forwards bytes unchanged in both directions. It is the mode of a new
// Proxy.
type Pass struct{}

// Latency delays every chunk the proxy forwards: Up before each chunk from
// the client to the target, Down before each chunk from the target to the
// client. A response that arrives in several chunks is delayed several
// times, as on a slow link. Non-positive durations add no delay.
type Latency struct {
	Up   time.Duration // delay before each chunk of the request
	Down time.Duration // delay before each chunk of the response
}

// Reset accepts each new connection and closes it at once with a TCP RST
// (SO_LINGER 0), without dialling the target; the client sees ECONNRESET,
// or EOF if the reset raced its first write. A forwarding connection is
// reset when its next chunk arrives, in either direction.
type Reset struct{}

// ResetAfter forwards Bytes bytes of response (target to client) on each
// connection and then resets it with a TCP RST: a connection that breaks
// mid-response. Request bytes pass unchanged. The count starts afresh on each
// call to [Proxy.Set], so on a kept-alive connection Bytes more bytes get
// through after Set. Bytes of 0 or less resets a connection at its first
// response byte.
type ResetAfter struct {
	Bytes int64 // response bytes forwarded before the reset
}

// Blackhole accepts each new connection, reads and discards whatever the
// client sends and never answers: the target is not dialled. The connection
// stays open until the client gives up, the proxy closes,
// [Proxy.CloseConnections] is called or the mode changes away from Blackhole. Then it is closed, because the discarded request cannot be
// replayed; the client sees EOF, or a reset if it sent bytes the proxy had
// not yet read (the kernel answers a close with unread data with RST). On a
// forwarding connection, chunks in both directions are dropped while
// Blackhole is set.
type Blackhole struct{}

// SlowBytes trickles the response (target to client) at about BytesPerSecond,
// in pieces of about a fiftieth of a second; requests pass unchanged.
// BytesPerSecond below 1 is treated as 1.
type SlowBytes struct {
	BytesPerSecond int // response bytes forwarded per second
}

// Refuse closes the proxy's listener, so connecting to [Proxy.Addr] fails
// with "connection refused", as for a server that is down. Connections that
// are already open keep forwarding unchanged, as they would when a real
// server stops listening. Setting any other fault listens on the same address
// again; see [Proxy.Set] for the rebinding race.
type Refuse struct{}

func (Pass) fault()       {}
func (Latency) fault()    {}
func (Reset) fault()      {}
func (ResetAfter) fault() {}
func (Blackhole) fault()  {}
func (SlowBytes) fault()  {}
func (Refuse) fault()     {}

// String returns "pass".
func (Pass) String() string { return "pass" }

// String returns the delays, as in "latency(up=0s, down=50ms)".
func (f Latency) String() string { return fmt.Sprintf("latency(up=%s, down=%s)", f.Up, f.Down) }

// String returns "reset".
func (Reset) String() string { return "reset" }

// String returns the byte budget, as in "reset-after(1024 bytes)".
func (f ResetAfter) String() string { return fmt.Sprintf("reset-after(%d bytes)", f.Bytes) }

// String returns "blackhole".
func (Blackhole) String() string { return "blackhole" }

// String returns the rate, as in "slow-bytes(100 B/s)".
func (f SlowBytes) String() string { return fmt.Sprintf("slow-bytes(%d B/s)", f.BytesPerSecond) }

// String returns "refuse".
func (Refuse) String() string { return "refuse" }

// mode is one setting of the proxy. Every Set stores a new mode, so its
// identity marks a change (it restarts ResetAfter budgets) and changed wakes
// connections that wait for one (blackholed connections).
type mode struct {
	fault   Fault
	changed chan struct{} // closed when the mode is replaced
}

func newMode(f Fault) *mode {
	return &mode{fault: f, changed: make(chan struct{})}
}
