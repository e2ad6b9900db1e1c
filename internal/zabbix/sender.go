package zabbix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultPort is the port of a Zabbix server's or proxy's trapper.
	DefaultPort = "10051"
	// defaultTimeout bounds a Send whose Sender has no Timeout.
	defaultTimeout = 10 * time.Second
	// maxResponse bounds the answer read: a server's answer to sender
	// data is one short line of JSON.
	maxResponse = 64 << 10
)

// Sender sends items to a Zabbix server or proxy the way zabbix_sender
// does: one connection per Send, one request, one answer.
type Sender struct {
	// Addr is the host:port of the Zabbix server's or proxy's trapper;
	// without a port, DefaultPort (10051).
	Addr string
	// Timeout bounds one Send, from dialing to reading the answer; zero
	// means 10 seconds.
	Timeout time.Duration
}

// Response is a Zabbix server's answer to sender data.
type Response struct {
	// Response is "success" when the server read the request, whether or
	// not it accepted every item, and "failed" when it could not.
	Response string `json:"response"`
	// Info is the server's summary, such as "processed: 3; failed: 0;
	// total: 3; seconds spent: 0.000055".
	Info string `json:"info"`
	// Processed, Failed, Total and Seconds are read from Info: the items
	// accepted, the items refused, all items, and the time the server
	// took. They are zero when Info does not carry them.
	Processed, Failed, Total int     `json:"-"`
	Seconds                  float64 `json:"-"`
}

// FailedError is the error Send returns when the server refused some of
// the items. Zabbix does not say which; the usual causes are in the
// message.
type FailedError struct {
	// Addr is the server's address.
	Addr string
	// Hosts are the hosts the items were sent for.
	Hosts []string
	// Response is the server's answer.
	Response Response
}

func (e *FailedError) Error() string {
	hosts := make([]string, len(e.Hosts))
	for i, h := range e.Hosts {
		hosts[i] = strconv.Quote(h)
	}
	return fmt.Sprintf("zabbix at %s refused %d of %d items (%s): every key must exist as an enabled Zabbix trapper item "+
		"on host %s (import the template crmguard zabbix template writes and link it to the host), the host name must "+
		"match the host's technical name in Zabbix exactly, case included, and the items' allowed hosts, when set, "+
		"must include this machine's address",
		e.Addr, e.Response.Failed, e.Response.Total, e.Response.Info, strings.Join(hosts, ", "))
}

// Send sends items in one request and returns the server's answer. It
// returns an error when the server cannot be reached or does not answer
// within the Timeout, when the answer is not "success", and, as a
// *FailedError with the answer also returned, when the server refused any
// item.
func (s Sender) Send(ctx context.Context, items []Item) (Response, error) {
	addr, err := s.addr()
	if err != nil {
		return Response{}, err
	}
	if len(items) == 0 {
		return Response{}, errors.New("sending to zabbix: no items to send")
	}
	for i, it := range items {
		switch {
		case it.Host == "":
			return Response{}, fmt.Errorf("sending to zabbix: item %d (%s) has no host; set the host's technical name in Zabbix", i+1, it.Key)
		case it.Key == "":
			return Response{}, fmt.Errorf("sending to zabbix: item %d (host %q) has no key", i+1, it.Host)
		}
	}
	req, err := marshalRequest(items, time.Now())
	if err != nil {
		return Response{}, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Response{}, failure(ctx, addr, timeout, fmt.Errorf("cannot reach zabbix at %s: %w; check the address of the Zabbix server or proxy (its trapper listens on port %s unless configured otherwise) and that a firewall lets this machine in", addr, err, DefaultPort))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl) // only fails on a closed connection, which the write reports
	}
	// Cancelling ctx interrupts a write or read in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := WriteFrame(conn, req); err != nil {
		return Response{}, failure(ctx, addr, timeout, fmt.Errorf("sending to zabbix at %s: %w", addr, err))
	}
	raw, err := ReadFrame(conn, maxResponse)
	switch {
	case errors.Is(err, ErrNotZabbix):
		return Response{}, fmt.Errorf("reading the answer of %s: %w; is this the trapper port of a Zabbix server or proxy?", addr, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Response{}, fmt.Errorf("zabbix at %s closed the connection without answering: %w; if the host requires encrypted connections (PSK or certificate), allow unencrypted ones for it, since crmguard sends unencrypted; otherwise see the Zabbix server's log", addr, err)
	case err != nil:
		return Response{}, failure(ctx, addr, timeout, fmt.Errorf("reading the answer of zabbix at %s: %w", addr, err))
	}
	resp, err := parseResponse(raw)
	if err != nil {
		return Response{}, fmt.Errorf("reading the answer of zabbix at %s: %w", addr, err)
	}
	if resp.Response != "success" {
		return resp, fmt.Errorf("zabbix at %s answered %q, not \"success\" (%s): it could not read the request; see the Zabbix server's log", addr, resp.Response, resp.Info)
	}
	if resp.Failed > 0 {
		return resp, &FailedError{Addr: addr, Hosts: hosts(items), Response: resp}
	}
	return resp, nil
}

// addr returns s.Addr with the default port when it has none.
func (s Sender) addr() (string, error) {
	a := strings.TrimSpace(s.Addr)
	if a == "" {
		return "", errors.New("sending to zabbix: no server address; name the Zabbix server or proxy as host:port, e.g. 127.0.0.1:10051")
	}
	if _, port, err := net.SplitHostPort(a); err == nil && port != "" {
		return a, nil
	}
	// No port: a host name, an IPv4 address or an IPv6 address, with or
	// without brackets.
	host := strings.Trim(a, "[]")
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return "", fmt.Errorf("sending to zabbix: server address %q is not host:port, e.g. 127.0.0.1:10051", s.Addr)
	}
	return net.JoinHostPort(host, DefaultPort), nil
}

// failure explains err by the state of ctx: a timeout or a cancellation
// says so rather than showing a raw i/o error.
func failure(ctx context.Context, addr string, timeout time.Duration, err error) error {
	switch {
	case errors.Is(context.Cause(ctx), context.Canceled):
		return fmt.Errorf("sending to zabbix at %s: interrupted: %w", addr, context.Canceled)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("zabbix at %s did not answer within %s: %w; check the address, or raise the timeout if the server is busy", addr, timeout, context.DeadlineExceeded)
	}
	return err
}

func hosts(items []Item) []string {
	var hs []string
	for _, it := range items {
		if !slices.Contains(hs, it.Host) {
			hs = append(hs, it.Host)
		}
	}
	return hs
}

// request is the JSON of sender data. Clock and NS of the request let
// the server correct the items' clocks for the difference between its
// clock and the sender's, as it does for zabbix_sender.
type request struct {
	Request string  `json:"request"`
	Data    []value `json:"data"`
	Clock   int64   `json:"clock"`
	NS      int     `json:"ns"`
}

type value struct {
	Host  string `json:"host"`
	Key   string `json:"key"`
	Value string `json:"value"`
	Clock *int64 `json:"clock,omitempty"`
	NS    *int   `json:"ns,omitempty"`
}

// marshalRequest returns the sender data JSON for items, sent at now.
func marshalRequest(items []Item, now time.Time) ([]byte, error) {
	req := request{Request: "sender data", Data: make([]value, len(items)), Clock: now.Unix(), NS: now.Nanosecond()}
	for i, it := range items {
		v := value{Host: it.Host, Key: it.Key, Value: it.Value}
		if !it.Clock.IsZero() {
			clock, ns := it.Clock.Unix(), it.Clock.Nanosecond()
			v.Clock, v.NS = &clock, &ns
		}
		req.Data[i] = v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keys such as crmguard.calls[a&b] stay readable in captures
	if err := enc.Encode(req); err != nil {
		return nil, fmt.Errorf("encoding sender data: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// parseResponse reads a server's answer and the counts in its info.
func parseResponse(raw []byte) (Response, error) {
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, fmt.Errorf("answer %q is not the JSON of a Zabbix server: %w", shorten(raw, 120), err)
	}
	if r.Response == "" {
		return Response{}, fmt.Errorf("answer %q has no \"response\"; is this a Zabbix server or proxy?", shorten(raw, 120))
	}
	r.Processed, r.Failed, r.Total, r.Seconds = parseInfo(r.Info)
	return r, nil
}

// parseInfo reads "processed: 3; failed: 0; total: 3; seconds spent:
// 0.000055". Fields it cannot read stay zero.
func parseInfo(info string) (processed, failed, total int, seconds float64) {
	for part := range strings.SplitSeq(info, ";") {
		name, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(name) {
		case "processed":
			processed, _ = strconv.Atoi(v)
		case "failed":
			failed, _ = strconv.Atoi(v)
		case "total":
			total, _ = strconv.Atoi(v)
		case "seconds spent":
			seconds, _ = strconv.ParseFloat(v, 64)
		}
	}
	return processed, failed, total, seconds
}

func shorten(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
