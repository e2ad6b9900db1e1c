package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// openLoop describes a constant-rate run: requests are sent at fixed
// times whatever the server does (open loop), over a few keep-alive
// connections, and every request's latency is kept.
type openLoop struct {
	addr  string        // host:port
	path  string        // request path
	rate  float64       // requests per second, all connections together
	conns int           // keep-alive connections, each with its share of the rate
	dur   time.Duration // how long requests are sent for
}

// openLoopResult is the outcome of one constant-rate run.
type openLoopResult struct {
	Latencies  []time.Duration // one per completed request, sorted
	Sent       int
	Non200     int // answered with another status
	Errors     int // no answer: connection or protocol error
	Reconnects int // connections re-dialled after the server closed one
	Behind     int // requests sent late because the connection was still busy
}

// pct returns the p-th percentile (nearest rank) of the latencies.
func (r openLoopResult) pct(p float64) time.Duration {
	return percentile(r.Latencies, p)
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method, or 0 for an empty slice.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// run sends the requests and waits for every answer.
//
// Connection k of n sends at start + k·(n/rate)/n + j·(n/rate), so the
// connections take turns and the total rate is even. The latency of a
// request is measured from the moment it was due when the connection was
// still busy with the previous answer at that moment (the wait is the
// server's doing, and leaving it out would hide stalls: "coordinated
// omission"), and from the moment it was actually written otherwise (so
// the harness's own timer lateness is not charged to the server).
func (o openLoop) run(ctx context.Context) (openLoopResult, error) {
	if o.rate <= 0 || o.conns <= 0 {
		return openLoopResult{}, fmt.Errorf("open-loop run: rate %g and connections %d must be positive", o.rate, o.conns)
	}
	period := time.Duration(float64(o.conns) / o.rate * float64(time.Second))
	perConn := int(o.dur / period)
	req := []byte("GET " + o.path + " HTTP/1.1\r\nHost: " + o.addr +
		"\r\nUser-Agent: proxybench\r\nAccept: application/json\r\n\r\n")
	start := time.Now().Add(50 * time.Millisecond) // let every worker reach its first sleep
	results := make([]openLoopResult, o.conns)
	errs := make([]error, o.conns)
	var wg sync.WaitGroup
	for k := range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &loopConn{addr: o.addr, req: req, res: &results[k]}
			defer w.close()
			offset := time.Duration(k) * period / time.Duration(o.conns)
			errs[k] = w.loop(ctx, start.Add(offset), period, perConn)
		}()
	}
	wg.Wait()
	var total openLoopResult
	for k, r := range results {
		if errs[k] != nil {
			return total, errs[k]
		}
		total.Latencies = append(total.Latencies, r.Latencies...)
		total.Sent += r.Sent
		total.Non200 += r.Non200
		total.Errors += r.Errors
		total.Reconnects += r.Reconnects
		total.Behind += r.Behind
	}
	slices.Sort(total.Latencies)
	return total, nil
}

// loopConn is one keep-alive connection of an open-loop run and the
// results it collects.
type loopConn struct {
	addr string
	req  []byte
	res  *openLoopResult
	conn net.Conn
	br   *bufio.Reader
}

// loop sends n requests, the j-th due at first + j·period.
func (w *loopConn) loop(ctx context.Context, first time.Time, period time.Duration, n int) error {
	w.res.Latencies = make([]time.Duration, 0, n)
	var prevDone time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for j := range n {
		due := first.Add(time.Duration(j) * period)
		var from time.Time
		if prevDone.After(due) {
			from = due
			w.res.Behind++
		} else {
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			}
			from = time.Now()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		status, err := w.do()
		prevDone = time.Now()
		w.res.Sent++
		switch {
		case err != nil:
			w.res.Errors++
			w.close()
		case status != http.StatusOK:
			w.res.Non200++
			w.res.Latencies = append(w.res.Latencies, prevDone.Sub(from))
		default:
			w.res.Latencies = append(w.res.Latencies, prevDone.Sub(from))
		}
	}
	return nil
}

// do sends the request on the connection, dialling first if there is
// none, and reads the whole answer.
func (w *loopConn) do() (int, error) {
	if w.conn == nil {
		c, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
		if err != nil {
			return 0, fmt.Errorf("dialling %s: %w", w.addr, err)
		}
		if w.res.Sent > 0 {
			w.res.Reconnects++
		}
		w.conn, w.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	if err := w.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := w.conn.Write(w.req); err != nil {
		return 0, fmt.Errorf("writing request: %w", err)
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return 0, fmt.Errorf("reading response: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading response body: %w", err)
	}
	if resp.Close {
		w.close() // the server will not take another request on it
	}
	return resp.StatusCode, nil
}

// close drops the connection; the next request dials a new one.
func (w *loopConn) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn, w.br = nil, nil
	}
}
