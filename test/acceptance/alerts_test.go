package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/app"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/notify/alertmanager/amtest"
	"github.com/crmguard/crmguard/internal/notify/email/smtptest"
)

// inbox is an HTTP receiver on loopback (a webhook, a Slack webhook)
// that keeps every body it is sent.
type inbox struct {
	mu     sync.Mutex
	bodies [][]byte
	at     []time.Time
	srv    *httptest.Server
}

func newInbox(t *testing.T) *inbox {
	in := &inbox{}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		in.mu.Lock()
		in.bodies, in.at = append(in.bodies, b), append(in.at, time.Now())
		in.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(in.srv.Close)
	return in
}

func (in *inbox) got() ([][]byte, []time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([][]byte(nil), in.bodies...), append([]time.Time(nil), in.at...)
}

// TestAlerts_FireNotifyRepeatResolveSilence drives one alert rule
// through its life with faults injected through the sample CRM, with a
// webhook, a Slack webhook, an SMTP relay (STARTTLS, AUTH) and a real
// Alertmanager as notifiers:
//
//   - auth failures above the rule's share make it pending, then firing
//     once the condition held for `for`;
//   - each notifier is notified once, then once more per repeat_interval;
//   - an acknowledgement stops the repeats and is in the history;
//   - Alertmanager holds the alert, seen through its own API;
//   - enough good calls resolve it: every notifier hears so, and
//     Alertmanager lets it go;
//   - under a silence, the same failures fire the alert again without a
//     single notification.
func TestAlerts_FireNotifyRepeatResolveSilence(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	hook, chat := newInbox(t), newInbox(t)
	relay := smtptest.Start(t, smtptest.Options{TLS: true, Auth: true})
	caFile := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(caFile, relay.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	am := amtest.Start(t)

	const forDur, repeat = time.Second, 2 * time.Second
	yaml := fmt.Sprintf(`
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
recording: {flush_interval: 50ms, rollup_interval: 100ms}
upstreams:
  - {name: sf, url: "%s/salesforce", dialect: salesforce, retry: {attempts: 1}, breaker: {min_calls: 100000}}
alerts:
  evaluate_every: 100ms
  rules:
    - name: sf-auth-failures
      when: {upstream: sf, class: auth, rate_over: 1m, above: "5%%"}
      for: %s
      severity: critical
      labels: {team: crm}
      repeat_interval: %s
notifiers:
  - {name: hook, type: webhook, url: "%s/hook"}
  - {name: chat, type: slack, url: "%s/services/T0/B0/x"}
  - {name: mail, type: email, smtp: "%s", from: crmguard@crmguard.test, to: [oncall@crmguard.test],
     username: %s, password_env: SMTP_PASSWORD, starttls: required, ca_file: "%s"}
  - {name: am, type: alertmanager, url: "%s", resend: 1s}
`, crmSrv.URL, forDur, repeat, hook.srv.URL, chat.srv.URL, relay.Addr, smtptest.User, caFile, am)
	in := startEnv(t, yaml, map[string]string{"SMTP_PASSWORD": smtptest.Password})

	mails := func() int { d, _ := relay.Got(); return len(d) }
	counts := func() (int, int, int) {
		h, _ := hook.got()
		c, _ := chat.got()
		return len(h), len(c), mails()
	}

	// Good traffic alone: nothing fires.
	in.queryContacts(t, 40)
	in.sync(t)
	time.Sleep(500 * time.Millisecond)
	if h, c, m := counts(); h+c+m != 0 {
		t.Fatalf("notifications before any failure: webhook %d, slack %d, mail %d", h, c, m)
	}

	// 10 auth failures of 50 calls: 20% > 5%. Pending first, firing
	// after for.
	in.authFailures(t, crm, 10)
	in.sync(t)
	a := waitAlert(t, in, func(a alertView) bool { return a.State == "firing" })
	if a.FiredAt == nil || a.FiredAt.Sub(a.ActiveSince) < forDur {
		t.Errorf("alert fired at %v, active since %v: want at least for (%s) in between", a.FiredAt, a.ActiveSince, forDur)
	}
	if a.Labels["upstream"] != "sf" || a.Labels["class"] != "auth" || a.Labels["team"] != "crm" || a.Severity != "critical" {
		t.Errorf("alert %+v: want labels upstream=sf class=auth team=crm, severity critical", a)
	}
	if a.Value < 0.19 || a.Value > 0.21 {
		t.Errorf("alert value %v; want the auth share 0.2", a.Value)
	}

	// Each notifier once.
	waitFor(t, "one notification to each notifier", func() bool { h, c, m := counts(); return h >= 1 && c >= 1 && m >= 1 })
	firstAt := time.Now()
	time.Sleep(repeat / 2)
	if h, c, m := counts(); h != 1 || c != 1 || m != 1 {
		t.Fatalf("within the repeat interval: webhook %d, slack %d, mail %d notifications; want exactly 1 each", h, c, m)
	}
	hooks, _ := hook.got()
	var msg struct {
		Kind, Status, Summary string
		Alerts                []struct {
			ID     string
			Labels map[string]string
		}
	}
	if err := json.Unmarshal(hooks[0], &msg); err != nil {
		t.Fatalf("webhook body %s: %v", hooks[0], err)
	}
	if msg.Kind != "firing" || msg.Status != "firing" || len(msg.Alerts) != 1 || msg.Alerts[0].ID != a.ID || !strings.Contains(msg.Summary, "sf-auth-failures") {
		t.Errorf("webhook message %s: want one firing alert %s", hooks[0], a.ID)
	}
	if chats, _ := chat.got(); !bytes.Contains(chats[0], []byte("sf-auth-failures")) {
		t.Errorf("slack message %s does not name the rule", chats[0])
	}
	d, _ := relay.Got()
	if !d[0].TLS || d[0].User != smtptest.User || !bytes.Contains(d[0].Data, []byte("FIRING")) {
		t.Errorf("mail: TLS %v, user %q, message %q; want a FIRING mail sent over TLS after AUTH", d[0].TLS, d[0].User, d[0].Data)
	}

	// Alertmanager holds it, through its own API.
	got := amtest.Wait(t, am, "sf-auth-failures", func(as []amtest.Alert) bool { return len(as) == 1 })[0]
	if got.Status.State != "active" || got.Labels["upstream"] != "sf" || got.Labels["severity"] != "critical" || got.GeneratorURL != in.admin+"/api/v1/alerts/"+a.ID {
		t.Errorf("Alertmanager's alert %+v: want active, upstream sf, severity critical, linking to %s", got, in.admin+"/api/v1/alerts/"+a.ID)
	}

	// Repeated once per repeat interval.
	waitFor(t, "a repeat to each notifier", func() bool { h, c, m := counts(); return h >= 2 && c >= 2 && m >= 2 })
	if since := time.Since(firstAt); since < repeat/2 {
		t.Errorf("repeat came %s after the first notification; want about repeat_interval %s", since, repeat)
	}
	hooks, at := hook.got()
	if err := json.Unmarshal(hooks[1], &msg); err != nil || msg.Kind != "repeat" {
		t.Errorf("second webhook message %s: want kind repeat", hooks[1])
	}
	if gap := at[1].Sub(at[0]); gap < repeat-200*time.Millisecond {
		t.Errorf("repeat %s after the first message; want repeat_interval %s", gap, repeat)
	}

	// Acknowledged: no more repeats, and the history says who.
	var acked alertView
	if code := in.post(t, "/api/v1/alerts/"+a.ID+"/ack", `{"by": "jane", "comment": "rotating the credentials"}`, &acked); code != 200 {
		t.Fatalf("ack: status %d", code)
	}
	if acked.Acknowledged == nil || acked.Acknowledged.By != "jane" {
		t.Errorf("acked alert %+v: want acknowledged by jane", acked)
	}
	h2, c2, m2 := counts()
	time.Sleep(repeat + repeat/2)
	if h, c, m := counts(); h != h2 || c != c2 || m != m2 {
		t.Errorf("after the ack: webhook %d→%d, slack %d→%d, mail %d→%d; want no more repeats", h2, h, c2, c, m2, m)
	}
	history := alertHistory(t, in, a.ID)
	if !hasEvent(history, "acknowledged", "jane", "rotating the credentials") || !hasEvent(history, "firing", "", "") {
		t.Errorf("history %+v: want firing and jane's acknowledgement", history)
	}

	// Resolved by good traffic: 10 of 450 is 2.2%.
	in.queryContacts(t, 400)
	in.sync(t)
	waitAlert(t, in, func(a alertView) bool { return a.State == "resolved" })
	waitFor(t, "a resolved notification to each notifier", func() bool { h, c, m := counts(); return h > h2 && c > c2 && m > m2 })
	hooks, _ = hook.got()
	if err := json.Unmarshal(hooks[len(hooks)-1], &msg); err != nil || msg.Kind != "resolved" || msg.Status != "resolved" {
		t.Errorf("last webhook message %s: want kind resolved", hooks[len(hooks)-1])
	}
	amtest.Wait(t, am, "sf-auth-failures", func(as []amtest.Alert) bool { return len(as) == 0 })
	if !hasEvent(alertHistory(t, in, a.ID), "resolved", "", "") {
		t.Error("the history has no resolved event")
	}

	// Silenced: the failures fire the alert again, and nobody is told.
	var sil struct{ ID string }
	if code := in.post(t, "/api/v1/silences", `{"matchers": {"alertname": "sf-auth-failures"}, "duration": "1h", "created_by": "jane", "comment": "credentials rotation"}`, &sil); code != 201 {
		t.Fatalf("silence: status %d", code)
	}
	h3, c3, m3 := counts()
	in.authFailures(t, crm, 40) // 50 of 490: 10%
	in.sync(t)
	again := waitAlert(t, in, func(a alertView) bool { return a.State == "firing" })
	if !again.Silenced || again.Acknowledged != nil {
		t.Errorf("alert %+v: want firing, silenced, and its old acknowledgement gone", again)
	}
	time.Sleep(repeat + repeat/2)
	if h, c, m := counts(); h != h3 || c != c3 || m != m3 {
		t.Errorf("under the silence: webhook %d→%d, slack %d→%d, mail %d→%d; want no notification", h3, h, c3, c, m3, m)
	}
	if as, err := amtest.Get(am + "/api/v2/alerts?active=true"); err != nil || len(as) != 0 {
		t.Errorf("Alertmanager got %+v (%v) under the silence; want nothing", as, err)
	}
	if !hasEvent(alertHistory(t, in, a.ID), "silenced", "", "") {
		t.Error("the history has no silenced event")
	}

	// The notification log holds every delivery.
	var log struct {
		Notifications []struct{ Notifier, Kind, Outcome string }
	}
	in.api(t, "GET", "/api/v1/notifications?limit=1000", &log)
	sent := map[string]int{}
	for _, n := range log.Notifications {
		if n.Outcome != "sent" {
			t.Errorf("notification %+v was not sent", n)
		}
		sent[n.Notifier+" "+n.Kind]++
	}
	for _, n := range []string{"hook", "chat", "mail"} {
		if sent[n+" firing"] != 1 || sent[n+" repeat"] != 1 || sent[n+" resolved"] != 1 {
			t.Errorf("notification log of %s: %v; want one firing, one repeat, one resolved", n, sent)
		}
	}
	if sent["am firing"] != 1 || sent["am repeat"] < 2 || sent["am resolved"] != 1 {
		t.Errorf("notification log of Alertmanager: %v; want one firing, a re-send every second, one resolved", sent)
	}
}

// startEnv is start with more environment variables than the token.
func startEnv(t *testing.T, yaml string, env map[string]string) *instance {
	t.Helper()
	yaml = strings.ReplaceAll(yaml, "${DIR}", t.TempDir())
	cfg, err := config.Load("crmguard.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("loading config: %v", err)
	}
	env[cfg.Admin.TokenEnv] = token
	a, err := app.New(context.Background(), cfg, app.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	return serve(t, a)
}

// post sends a JSON body to an admin API path and decodes the answer.
func (in *instance) post(t *testing.T, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", in.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("POST %s: %s %s", path, resp.Status, b)
	} else if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: decoding %q: %v", path, b, err)
		}
	}
	return resp.StatusCode
}

// alertView is the part of the admin API's alert JSON the tests read.
type alertView struct {
	ID           string
	State        string
	Severity     string
	Labels       map[string]string
	Value        float64
	ActiveSince  time.Time  `json:"active_since"`
	FiredAt      *time.Time `json:"fired_at"`
	Silenced     bool
	Acknowledged *struct{ By, Comment string }
}

// waitAlert polls the admin API until its only alert satisfies ok.
func waitAlert(t *testing.T, in *instance, ok func(alertView) bool) alertView {
	t.Helper()
	var list struct{ Alerts []alertView }
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list.Alerts = nil
		in.api(t, "GET", "/api/v1/alerts", &list)
		if len(list.Alerts) == 1 && ok(list.Alerts[0]) {
			return list.Alerts[0]
		}
	}
	t.Fatalf("alerts did not become as expected in 15s: %+v", list.Alerts)
	return alertView{}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("no %s within 15s", what)
}

type eventView struct{ Kind, By, Detail string }

func alertHistory(t *testing.T, in *instance, id string) []eventView {
	t.Helper()
	var h struct{ Events []eventView }
	if code := in.api(t, "GET", "/api/v1/alerts/history?alert="+id, &h); code != 200 {
		t.Fatalf("history: status %d", code)
	}
	return h.Events
}

func hasEvent(es []eventView, kind, by, detail string) bool {
	for _, e := range es {
		if e.Kind == kind && (by == "" || e.By == by) && (detail == "" || e.Detail == detail) {
			return true
		}
	}
	return false
}

// queryContacts sends n Salesforce contact queries through the gateway's
// upstream sf, reading every answer to its end.
func (in *instance) queryContacts(t *testing.T, n int) {
	t.Helper()
	get := democrm.SampleRequests("salesforce")[1] // query contacts
	for range n {
		req, _ := http.NewRequest(get.Method, in.gateway+"/sf"+strings.TrimPrefix(get.Path, "/salesforce"), nil)
		req.Header = get.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// authFailures makes the sample CRM answer the next n queries with an
// expired session, sends them, and checks every fault was used.
func (in *instance) authFailures(t *testing.T, crm *democrm.Server, n int) {
	t.Helper()
	if err := crm.Inject(democrm.FaultSpec{Kind: democrm.SessionExpired, Dialect: "salesforce"}, n); err != nil {
		t.Fatal(err)
	}
	in.queryContacts(t, n)
	if crm.Pending() != 0 {
		t.Fatalf("%d injected faults were not used", crm.Pending())
	}
}
