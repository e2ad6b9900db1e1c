package zabbix_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/zabbix"
	"github.com/crmguard/crmguard/internal/zabbix/zabbixtest"
)

func figures() zabbix.Figures {
	return zabbix.Figures{
		Upstreams:  []zabbix.UpstreamFigures{{Name: "sf", Calls: 1200, ErrorRate: 0.0125, P95: 340 * time.Millisecond}},
		QueueDepth: 7, QueueDead: 2, QueueOldestAge: 90 * time.Second, AlertsFiring: 1,
	}
}

func TestSender_Send(t *testing.T) {
	srv := zabbixtest.NewServer(t, zabbixtest.Options{Host: "crmguard-prod", Keys: zabbix.Keys([]string{"sf"})})
	at := time.Unix(1767225600, 250)
	items := zabbix.Items("crmguard-prod", at, figures())

	before := time.Now()
	resp, err := zabbix.Sender{Addr: srv.Addr}.Send(t.Context(), items)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if resp.Response != "success" || resp.Processed != 8 || resp.Failed != 0 || resp.Total != 8 ||
		!strings.HasPrefix(resp.Info, "processed: 8; failed: 0; total: 8; seconds spent: ") {
		t.Errorf("response %+v; want success with 8 of 8 processed", resp)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server received %d requests; want 1", len(reqs))
	}
	req := reqs[0]
	if req.Request != "sender data" || len(req.Data) != len(items) {
		t.Fatalf("request %+v; want sender data with %d values", req, len(items))
	}
	for i, v := range req.Data {
		it := items[i]
		if v.Host != it.Host || v.Key != it.Key || v.Value != it.Value || v.Clock != 1767225600 || v.NS != 250 {
			t.Errorf("value %d = %+v; want %+v", i, v, it)
		}
	}
	if sent := time.Unix(req.Clock, req.NS); sent.Before(before.Truncate(time.Second)) || sent.After(time.Now()) {
		t.Errorf("request clock %s; want the time of sending", sent)
	}
}

func TestSender_FailedItems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   zabbixtest.Options
		failed int
	}{
		{"missing trapper items", zabbixtest.Options{Host: "crmguard-prod", Keys: []string{"crmguard.queue.depth", "crmguard.calls[sf]"}}, 6},
		{"other host", zabbixtest.Options{Host: "crmguard-production"}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := zabbixtest.NewServer(t, tc.opts)
			resp, err := zabbix.Sender{Addr: srv.Addr}.Send(t.Context(), zabbix.Items("crmguard-prod", time.Now(), figures()))
			var fe *zabbix.FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("Send: %v; want a *FailedError", err)
			}
			if resp.Failed != tc.failed || resp.Total != 8 || fe.Response != resp {
				t.Errorf("response %+v (in the error %+v); want %d of 8 failed", resp, fe.Response, tc.failed)
			}
			for _, want := range []string{
				"zabbix at " + srv.Addr, "refused " + strconv.Itoa(tc.failed) + " of 8 items", "trapper item", `on host "crmguard-prod"`,
				"host name must match", "crmguard zabbix template",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q; want it to say %q", err, want)
				}
			}
		})
	}
}

// listen serves each connection to 127.0.0.1:port with handle.
func listen(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// readRequest reads the sender's request, so that the answer (or its
// absence) is what the test is about.
func readRequest(c net.Conn) {
	_, _ = zabbix.ReadFrame(c, 1<<20)
}

func TestSender_Errors(t *testing.T) {
	closed := listen(t, readRequest) // and close without answering
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name    string
		addr    string
		timeout time.Duration
		is      error
		want    []string
	}{
		{
			name: "nothing listening", addr: nobody,
			want: []string{"cannot reach zabbix at " + nobody, "trapper listens on port 10051"},
		},
		{
			name: "HTTP server", is: zabbix.ErrNotZabbix,
			addr: listen(t, func(c net.Conn) { readRequest(c); c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) }),
			want: []string{`starts with "HTTP/1.1"`, "trapper port of a Zabbix server or proxy"},
		},
		{
			name: "closed without answer", addr: closed, is: io.EOF,
			want: []string{"closed the connection without answering", "encrypted connections"},
		},
		{
			name: "no answer", timeout: 200 * time.Millisecond, is: context.DeadlineExceeded,
			addr: listen(t, func(c net.Conn) { readRequest(c); time.Sleep(time.Second) }),
			want: []string{"did not answer within 200ms"},
		},
		{
			name: "refused request",
			addr: listen(t, func(c net.Conn) {
				readRequest(c)
				zabbix.WriteFrame(c, []byte(`{"response":"failed","info":"cannot parse data"}`))
			}),
			want: []string{`answered "failed", not "success" (cannot parse data)`},
		},
		{
			name: "compressed answer",
			addr: listen(t, func(c net.Conn) {
				readRequest(c)
				c.Write([]byte("ZBXD\x03\x02\x00\x00\x00\x00\x00\x00\x00{}"))
			}),
			want: []string{"zlib-compressed (flags 0x03), which is not supported"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := zabbix.Sender{Addr: tc.addr, Timeout: tc.timeout}.Send(t.Context(), zabbix.Items("crmguard-prod", time.Now(), figures()))
			if err == nil {
				t.Fatalf("Send = %+v, nil; want an error", resp)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to say %q", err, w)
				}
			}
		})
	}
}

func TestSender_Canceled(t *testing.T) {
	answered := make(chan struct{})
	addr := listen(t, func(c net.Conn) { readRequest(c); <-answered })
	defer close(answered)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := zabbix.Sender{Addr: addr, Timeout: time.Minute}.Send(ctx, zabbix.Items("h", time.Now(), zabbix.Figures{}))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("Send after cancel: %v; want an interruption wrapping context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send returned %s after the cancel; want at once", d)
	}
}

func TestSender_BadInput(t *testing.T) {
	srv := zabbixtest.NewServer(t, zabbixtest.Options{})
	for _, tc := range []struct {
		name  string
		addr  string
		items []zabbix.Item
		want  string
	}{
		{"no address", "", []zabbix.Item{{Host: "h", Key: "k", Value: "1"}}, "no server address"},
		{"no items", srv.Addr, nil, "no items to send"},
		{"no host", srv.Addr, []zabbix.Item{{Key: "crmguard.queue.depth", Value: "1"}}, "item 1 (crmguard.queue.depth) has no host"},
		{"no key", srv.Addr, []zabbix.Item{{Host: "h", Value: "1"}}, `item 1 (host "h") has no key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := (zabbix.Sender{Addr: tc.addr}).Send(t.Context(), tc.items); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Send: %v; want an error saying %q", err, tc.want)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server received %d requests; want none for bad input", n)
	}
}
