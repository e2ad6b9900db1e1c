package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/webhook"
)

// gotAlert is a postable alert as Alertmanager's API names its fields,
// declared here rather than reusing the package's type so that a wrong
// JSON name there fails the test.
type gotAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

type push struct {
	path   string
	header http.Header
	alerts []gotAlert
	raw    []byte
}

// receiver starts a loopback stand-in for Alertmanager that records each
// push and answers status with answer.
func receiver(t *testing.T, status int, answer string) (*httptest.Server, func() []push) {
	t.Helper()
	var (
		mu     sync.Mutex
		pushes []push
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p := push{path: r.URL.Path, header: r.Header.Clone(), raw: b}
		if err := json.Unmarshal(b, &p.alerts); err != nil {
			t.Errorf("push is not a JSON array of alerts: %v: %s", err, b)
		}
		mu.Lock()
		pushes = append(pushes, p)
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []push {
		mu.Lock()
		defer mu.Unlock()
		return append([]push(nil), pushes...)
	}
}

var (
	now   = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	start = now.Add(-2 * time.Hour)
)

func fixedNow() time.Time { return now }

func firing() notify.Alert {
	return notify.Alert{
		ID: "a1", Rule: "sf-auth-failures", Status: notify.Firing, Severity: "critical",
		Labels:      map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth"},
		Annotations: map[string]string{"summary": "Salesforce refused 42% of calls"},
		Value:       0.42, StartsAt: start, URL: "http://127.0.0.1:8080/admin/alerts/a1",
	}
}

func message(alerts ...notify.Alert) notify.Message {
	return notify.Message{Notifier: "am", Kind: notify.Fire, Status: notify.Firing, Group: "g", Alerts: alerts, SentAt: now}
}

func TestNotify_Body(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "")
	n, err := New(Options{URLs: []string{srv.URL + "/prefix/"}, Resend: 30 * time.Second, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	f := firing()
	f.Labels["bad-name"] = "x"
	f.Labels["empty"] = ""
	r := notify.Alert{
		ID: "a2", Rule: "hs-latency", Status: notify.Resolved, Severity: "warning",
		Labels: map[string]string{"upstream": "hs"}, Value: 2.5,
		StartsAt: start, EndsAt: now.Add(-time.Minute),
	}
	if err := n.Notify(context.Background(), message(f, r)); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	pushes := got()
	if len(pushes) != 1 {
		t.Fatalf("got %d pushes; want 1", len(pushes))
	}
	p := pushes[0]
	if p.path != "/prefix/api/v2/alerts" {
		t.Errorf("got path %q; want /prefix/api/v2/alerts", p.path)
	}
	if ct := p.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q; want application/json", ct)
	}
	if a := p.header.Get("Authorization"); a != "" {
		t.Errorf("got Authorization %q; want none when not configured", a)
	}
	want := []gotAlert{{
		Labels:       map[string]string{"alertname": "sf-auth-failures", "severity": "critical", "upstream": "sf", "class": "auth", "bad_name": "x"},
		Annotations:  map[string]string{"summary": "Salesforce refused 42% of calls", "value": "0.42"},
		StartsAt:     start,
		EndsAt:       now.Add(4 * 30 * time.Second),
		GeneratorURL: "http://127.0.0.1:8080/admin/alerts/a1",
	}, {
		Labels:      map[string]string{"alertname": "hs-latency", "severity": "warning", "upstream": "hs"},
		Annotations: map[string]string{"value": "2.5"},
		StartsAt:    start,
		EndsAt:      now.Add(-time.Minute),
	}}
	if !reflect.DeepEqual(p.alerts, want) {
		t.Errorf("got alerts\n%+v\nwant\n%+v\n(raw %s)", p.alerts, want, p.raw)
	}
	if strings.Contains(string(p.raw), `"generatorURL":""`) {
		t.Errorf("push has an empty generatorURL, which Alertmanager would parse as a URI: %s", p.raw)
	}
	if f.Labels["bad-name"] != "x" {
		t.Error("Notify changed the caller's labels")
	}
}

func TestNotify_EndsAt(t *testing.T) {
	tests := []struct {
		name   string
		resend time.Duration
		alert  func() notify.Alert
		want   time.Time
	}{
		{name: "firing, default resend", alert: firing, want: now.Add(4 * time.Minute)},
		{name: "firing, resend 5m", resend: 5 * time.Minute, alert: firing, want: now.Add(20 * time.Minute)},
		{name: "resolved", alert: func() notify.Alert {
			a := firing()
			a.Status, a.EndsAt = notify.Resolved, now.Add(-10*time.Second)
			return a
		}, want: now.Add(-10 * time.Second)},
		{name: "resolved without an end", alert: func() notify.Alert {
			a := firing()
			a.Status = notify.Resolved
			return a
		}, want: now},
		{name: "resolved before it started", alert: func() notify.Alert {
			a := firing()
			a.Status, a.EndsAt = notify.Resolved, start.Add(-time.Second)
			return a
		}, want: start},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusOK, "")
			n, err := New(Options{URLs: []string{srv.URL}, Resend: tc.resend, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(context.Background(), message(tc.alert())); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			pushes := got()
			if len(pushes) != 1 || len(pushes[0].alerts) != 1 {
				t.Fatalf("got %+v; want one push of one alert", pushes)
			}
			if e := pushes[0].alerts[0].EndsAt; !e.Equal(tc.want) {
				t.Errorf("got endsAt %s; want %s", e, tc.want)
			}
		})
	}
}

func TestNotify_RejectionQuotesAlertmanager(t *testing.T) {
	srv, _ := receiver(t, http.StatusBadRequest, `"invalid label set: invalid name \"bad-name\""`+"\n")
	n, err := New(Options{URLs: []string{srv.URL}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), message(firing()))
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %v; want a *webhook.StatusError with status 400", err)
	}
	want := `alertmanager: POST ` + srv.URL + `/…: answered 400 Bad Request: invalid label set: invalid name "bad-name"`
	if err.Error() != want {
		t.Errorf("got error\n%s\nwant\n%s", err, want)
	}
}

func TestNotify_SendsToEveryAlertmanager(t *testing.T) {
	ok1, got1 := receiver(t, http.StatusOK, "")
	ok2, got2 := receiver(t, http.StatusOK, "")
	failing, gotFailing := receiver(t, http.StatusInternalServerError, "cluster not ready")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	n, err := New(Options{URLs: []string{ok1.URL, failing.URL, ok2.URL, down.URL}, Now: fixedNow, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), message(firing()))
	if err == nil {
		t.Fatal("Notify succeeded with two Alertmanagers failing; want an error")
	}
	for name, got := range map[string]func() []push{"first": got1, "second": got2, "failing": gotFailing} {
		if p := got(); len(p) != 1 {
			t.Errorf("%s Alertmanager got %d pushes; want 1", name, len(p))
		}
	}
	msg := err.Error()
	for _, want := range []string{failing.URL + "/…: answered 500 Internal Server Error: cluster not ready", down.URL + "/…: "} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, good := range []string{ok1.URL, ok2.URL} {
		if strings.Contains(msg, good) {
			t.Errorf("error %q names %s, which accepted the alerts", msg, good)
		}
	}
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusInternalServerError {
		t.Errorf("got %v; want the joined error to hold the 500", err)
	}

	n, err = New(Options{URLs: []string{ok1.URL, ok2.URL}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), message(firing())); err != nil {
		t.Errorf("Notify with every Alertmanager up: %v", err)
	}
}

func TestNotify_Authorization(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{name: "basic", o: Options{Username: "crmguard", Password: "pa:ss"}, want: "Basic Y3JtZ3VhcmQ6cGE6c3M="},
		{name: "bearer", o: Options{BearerToken: "t0ken"}, want: "Bearer t0ken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusOK, "")
			tc.o.URLs = []string{srv.URL}
			n, err := New(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(context.Background(), message(firing())); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if a := got()[0].header.Get("Authorization"); a != tc.want {
				t.Errorf("got Authorization %q; want %q", a, tc.want)
			}
		})
	}
}

func TestNotifier_Resend(t *testing.T) {
	var r notify.Resender
	n, err := New(Options{URLs: []string{"http://127.0.0.1:9093"}})
	if err != nil {
		t.Fatal(err)
	}
	r = n
	if got := r.Resend(); got != DefaultResend {
		t.Errorf("got Resend() %s; want the default %s", got, DefaultResend)
	}
	n, err = New(Options{URLs: []string{"http://127.0.0.1:9093"}, Resend: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Resend(); got != 15*time.Second {
		t.Errorf("got Resend() %s; want 15s", got)
	}
}

func TestNew_Refuses(t *testing.T) {
	am := []string{"http://127.0.0.1:9093"}
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "no urls", o: Options{}, wantErr: "alertmanager: no url"},
		{name: "bad url", o: Options{URLs: []string{"http://127.0.0.1:9093", "127.0.0.1:9094"}}, wantErr: "alertmanager: url 2 of 2: is not a valid URL (first path segment in URL cannot contain colon); write it as http(s)://"},
		{name: "url with the API path", o: Options{URLs: []string{"http://127.0.0.1:9093/api/v2/alerts"}}, wantErr: "without /api/v2/alerts"},
		{name: "two kinds of auth", o: Options{URLs: am, Username: "u", BearerToken: "t"}, wantErr: "use one way"},
		{name: "password alone", o: Options{URLs: am, Password: "p"}, wantErr: "without a username"},
		{name: "negative resend", o: Options{URLs: am, Resend: -time.Second}, wantErr: "must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{name: "valid names kept", in: map[string]string{"alertname": "a", "_x9": "b", "Upstream": "c"}, want: map[string]string{"alertname": "a", "_x9": "b", "Upstream": "c"}},
		{name: "invalid characters", in: map[string]string{"crm.system": "sf", "http-status": "503", "zoë": "1"}, want: map[string]string{"crm_system": "sf", "http_status": "503", "zo_": "1"}},
		{name: "leading digit", in: map[string]string{"5xx": "3"}, want: map[string]string{"_5xx": "3"}},
		{name: "empty values dropped", in: map[string]string{"a": "", "b": "x"}, want: map[string]string{"b": "x"}},
		{name: "empty name dropped", in: map[string]string{"": "x", "b": "y"}, want: map[string]string{"b": "y"}},
		{name: "a valid name wins a collision", in: map[string]string{"a-b": "sanitized", "a_b": "given"}, want: map[string]string{"a_b": "given"}},
		{name: "first by name wins among sanitized", in: map[string]string{"a.b": "dot", "a-b": "dash"}, want: map[string]string{"a_b": "dash"}},
		{name: "invalid UTF-8 value", in: map[string]string{"a": "x\xffy"}, want: map[string]string{"a": "x\uFFFDy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := maps.Clone(tc.in)
			if got := sanitize(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sanitize(%q) = %q; want %q", tc.in, got, tc.want)
			}
			if !maps.Equal(in, tc.in) {
				t.Errorf("sanitize changed its argument to %q", tc.in)
			}
		})
	}
}
