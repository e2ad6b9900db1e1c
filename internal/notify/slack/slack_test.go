package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
	"github.com/crmguard/crmguard/internal/notify/webhook"
)

// receiver starts a loopback stand-in for Slack that records each body
// and its content type, and answers status with answer.
func receiver(t *testing.T, status int, answer string) (*httptest.Server, func() (bodies [][]byte, types []string)) {
	t.Helper()
	var (
		mu     sync.Mutex
		bodies [][]byte
		types  []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		types = append(types, r.Header.Get("Content-Type"))
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() ([][]byte, []string) {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), bodies...), append([]string(nil), types...)
	}
}

var start = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func alert(status notify.Status, severity, upstream, summary string) notify.Alert {
	a := notify.Alert{
		ID: "id-" + upstream, Rule: "sf-auth-failures", Status: status, Severity: severity,
		Labels:      map[string]string{"alertname": "sf-auth-failures", "severity": severity, "upstream": upstream, "class": "auth"},
		Annotations: map[string]string{"summary": summary},
		Value:       0.4213, StartsAt: start,
	}
	if status == notify.Resolved {
		a.EndsAt = start.Add(time.Hour)
	}
	return a
}

func message(status notify.Status, alerts ...notify.Alert) notify.Message {
	return notify.Message{
		Notifier: "chat", Kind: notify.Fire, Status: status, Group: "g",
		GroupLabels: map[string]string{"alertname": "sf-auth-failures"},
		Summary:     "sf-auth-failures " + string(status) + ": upstream=sf",
		Alerts:      alerts, SentAt: start.Add(time.Minute),
	}
}

func TestNotify_Payload(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "ok")
	n, err := New(Options{URL: srv.URL + "/services/T0/B0/XYZ", Channel: "#ops", Username: "crmguard"})
	if err != nil {
		t.Fatal(err)
	}
	a := alert(notify.Firing, "critical", "sf", "Salesforce refused 42% of calls")
	a.URL = "http://127.0.0.1:8080/admin/alerts/1"
	if err := n.Notify(context.Background(), message(notify.Firing, a)); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	bodies, types := got()
	if len(bodies) != 1 {
		t.Fatalf("got %d requests; want 1", len(bodies))
	}
	if types[0] != "application/json" {
		t.Errorf("got Content-Type %q; want application/json", types[0])
	}
	want := `{"channel":"#ops","username":"crmguard","text":"sf-auth-failures firing: upstream=sf",` +
		`"attachments":[{"fallback":"sf-auth-failures firing: upstream=sf","color":"danger",` +
		`"title":"sf-auth-failures firing: upstream=sf","title_link":"http://127.0.0.1:8080/admin/alerts/1",` +
		`"text":"• *class=auth upstream=sf* — value 0.4213 — Salesforce refused 42% of calls \u003chttp://127.0.0.1:8080/admin/alerts/1|details\u003e",` +
		`"footer":"crmguard","ts":1741082460,"mrkdwn_in":["text"]}]}`
	if string(bodies[0]) != want {
		t.Errorf("got body\n%s\nwant\n%s", bodies[0], want)
	}
}

func TestNotify_Color(t *testing.T) {
	tests := []struct {
		name string
		m    notify.Message
		want string
	}{
		{name: "firing critical", m: message(notify.Firing, alert(notify.Firing, "critical", "sf", "")), want: "danger"},
		{name: "firing warning", m: message(notify.Firing, alert(notify.Firing, "warning", "sf", "")), want: "warning"},
		{name: "firing info", m: message(notify.Firing, alert(notify.Firing, "info", "sf", "")), want: "#439FE0"},
		{name: "worst firing alert wins", m: message(notify.Firing,
			alert(notify.Firing, "warning", "hs", ""), alert(notify.Firing, "critical", "sf", "")), want: "danger"},
		{name: "a resolved critical does not count", m: message(notify.Firing,
			alert(notify.Resolved, "critical", "hs", ""), alert(notify.Firing, "warning", "sf", "")), want: "warning"},
		{name: "resolved", m: message(notify.Resolved, alert(notify.Resolved, "critical", "sf", "")), want: "good"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusOK, "ok")
			n, err := New(Options{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Notify(context.Background(), tc.m); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			bodies, _ := got()
			p := decode(t, bodies)
			if p.Attachments[0].Color != tc.want {
				t.Errorf("got color %q; want %q", p.Attachments[0].Color, tc.want)
			}
		})
	}
}

func TestNotify_OneLinePerAlertEscaped(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "ok")
	n, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	m := message(notify.Firing,
		alert(notify.Firing, "critical", "sf", "<!channel> look & see"),
		alert(notify.Resolved, "critical", "hs", "back to normal"))
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	bodies, _ := got()
	p := decode(t, bodies)
	if p.Channel != "" || p.Username != "" {
		t.Errorf("got channel %q, username %q; want both left out when not configured", p.Channel, p.Username)
	}
	lines := strings.Split(p.Attachments[0].Text, "\n")
	want := []string{
		"• *class=auth upstream=sf* — value 0.4213 — &lt;!channel&gt; look &amp; see",
		"• *class=auth upstream=hs* — value 0.4213 — back to normal — _resolved_",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines %q; want %d", len(lines), lines, len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: got %q; want %q", i, lines[i], want[i])
		}
	}
	if p.Attachments[0].TitleLink != "" {
		t.Errorf("got title_link %q; want none for several alerts without URLs", p.Attachments[0].TitleLink)
	}
}

func TestNotify_Non2xxIsAnError(t *testing.T) {
	srv, got := receiver(t, http.StatusNotFound, "no_service")
	n, err := New(Options{URL: srv.URL + "/services/T0/B0/SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), message(notify.Firing, alert(notify.Firing, "critical", "sf", "x")))
	var se *webhook.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
		t.Fatalf("got %v; want a *webhook.StatusError with status 404", err)
	}
	for _, want := range []string{"slack: ", "404 Not Found", "no_service", "check the URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q reveals the webhook's path", err)
	}
	if bodies, _ := got(); len(bodies) != 1 {
		t.Errorf("got %d requests; want 1", len(bodies))
	}
}

func TestNew_Refuses(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "no url", o: Options{}, wantErr: "slack: url: is empty"},
		{name: "no host", o: Options{URL: "https:///services/x"}, wantErr: "slack: url: has no host"},
		{name: "negative timeout", o: Options{URL: "http://127.0.0.1/", Timeout: -1}, wantErr: "is negative"},
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

func decode(t *testing.T, bodies [][]byte) payload {
	t.Helper()
	if len(bodies) != 1 {
		t.Fatalf("got %d requests; want 1", len(bodies))
	}
	var p payload
	if err := json.Unmarshal(bodies[0], &p); err != nil {
		t.Fatalf("decoding %s: %v", bodies[0], err)
	}
	if len(p.Attachments) != 1 {
		t.Fatalf("got %d attachments; want 1", len(p.Attachments))
	}
	return p
}
