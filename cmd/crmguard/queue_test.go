package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/store"
)

const testToken = "cli-test-token-0123456789"

// The fixture's entries, in ID order.
const (
	idDeadSF   = "01KQ00000000000000000000B1"
	idDeadLong = "01KQ00000000000000000000B2" // a dead reason too long for the table
	idDeadHS   = "01KQ00000000000000000000B3"
	idDone     = "01KQ00000000000000000000B4"
	idPending  = "01KQ00000000000000000000B5"
)

const longReason = "gave up after 50 attempts: the CRM answered 503 Service Unavailable every time, see incident 6f1c0b6a"

// queueAdmin starts crmguard's admin API on loopback over a SQLite store
// with a dead, delivered and pending entry, and sets the environment the
// queue commands read. It returns the store and the API's URL.
func queueAdmin(t *testing.T) (*store.DB, string) {
	t.Helper()
	db, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "crmguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	mk := func(id, upstream string) outbox.Entry {
		return outbox.Entry{ID: id, CallID: id, Upstream: upstream, Method: "PATCH",
			Path: "/services/data/v59.0/sobjects/Contact/003" + id[len(id)-2:], CreatedAt: now.Add(-3*time.Hour - 5*time.Minute)}
	}
	claim := func(e outbox.Entry) {
		t.Helper()
		if err := db.Enqueue(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Claim(t.Context(), "test", now, time.Hour, 10); err != nil || len(got) != 1 {
			t.Fatalf("Claim after enqueueing %s = %v, %v; want just it", e.ID, got, err)
		}
	}
	for _, d := range []struct{ id, upstream, reason string }{
		{idDeadSF, "sf", "gave up after 50 attempts"},
		{idDeadLong, "sf", longReason},
		{idDeadHS, "hubspot", "too old to send"},
	} {
		e := mk(d.id, d.upstream)
		e.Attempts, e.LastClass, e.LastStatus, e.LastError = 50, fault.Unavailable, 503, "Service Unavailable"
		claim(e)
		if err := db.Kill(t.Context(), d.id, "test", d.reason, now); err != nil {
			t.Fatal(err)
		}
	}
	claim(mk(idDone, "sf"))
	if err := db.Ack(t.Context(), idDone, "test", now); err != nil {
		t.Fatal(err)
	}
	e := mk(idPending, "sf")
	e.NextAt = now.Add(time.Hour)
	e.Header = []byte(`{"Content-Type":["application/json"]}`)
	e.Body = []byte("{\"LastName\":\"Müller\x1b[2J\"}")
	if err := db.Enqueue(t.Context(), e); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(admin.New(admin.Options{Token: testToken, Queue: db}))
	t.Cleanup(srv.Close)
	t.Setenv("CRMGUARD_ADMIN_URL", srv.URL)
	t.Setenv("CRMGUARD_ADMIN_TOKEN", testToken)
	return db, srv.URL
}

// crmguard runs the command line args and returns its exit code and
// output.
func crmguard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestQueueList_Table(t *testing.T) {
	queueAdmin(t)
	code, out, errOut := crmguard(t, "queue", "list")
	if code != 0 {
		t.Fatalf("exit %d; want 0\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := []string{"ID", "STATE", "UPSTREAM", "METHOD", "PATH", "ATTEMPTS", "AGE", "LAST/DEAD REASON"}
	if got := regexp.MustCompile(`\s{2,}`).Split(lines[0], -1); strings.Join(got, "|") != strings.Join(header, "|") {
		t.Fatalf("header %q; want the columns %v", lines[0], header)
	}
	wantRows := []struct{ id, state, reason string }{
		{idDeadSF, "dead", "gave up after 50 attempts"},
		{idDeadLong, "dead", longReason[:59] + "…"},
		{idDeadHS, "dead", "too old to send"},
		{idDone, "delivered", "-"},
		{idPending, "pending", "-"},
	}
	if len(lines) != 1+len(wantRows) {
		t.Fatalf("%d lines; want a header and %d rows:\n%s", len(lines), len(wantRows), out)
	}
	// Every column starts where its heading does.
	for _, col := range header[1:] {
		at := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if at >= len(l) || l[at-1] != ' ' || l[at] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q", col, at, l)
			}
		}
	}
	for i, w := range wantRows {
		l := lines[i+1]
		if !strings.HasPrefix(l, w.id+"  ") || !strings.Contains(l, " "+w.state+" ") || !strings.HasSuffix(l, "  "+w.reason) {
			t.Errorf("row %d = %q; want %s, %s, ending in %q", i+1, l, w.id, w.state, w.reason)
		}
		if !strings.Contains(l, " 3h05m ") && !strings.Contains(l, " 3h04m ") {
			t.Errorf("row %d = %q; want the age 3h05m", i+1, l)
		}
	}
	if strings.Contains(out, longReason) {
		t.Error("the long reason was not truncated")
	}
}

func TestQueueList_FiltersLimitAndJSON(t *testing.T) {
	queueAdmin(t)
	code, out, errOut := crmguard(t, "queue", "list", "--state", "dead", "--upstream", "sf", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Entries []map[string]any
		Next    *string
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	if len(v.Entries) != 2 || v.Entries[0]["id"] != idDeadSF || v.Entries[1]["id"] != idDeadLong || v.Entries[1]["dead_reason"] != longReason || v.Next == nil {
		t.Errorf("--json = %s; want the two dead sf entries, untruncated, and next", out)
	}

	code, out, errOut = crmguard(t, "queue", "list", "--limit", "2")
	if rows := strings.Count(out, "\n") - 1; code != 0 || rows != 2 || !strings.Contains(errOut, "more entries follow "+idDeadLong) {
		t.Errorf("--limit 2: exit %d, %d rows, stderr %q; want 0, 2 rows and a note that more follow", code, rows, errOut)
	}
	code, out, _ = crmguard(t, "queue", "list", "--upstream", "zoho")
	if code != 0 || out != "no queue entries match\n" {
		t.Errorf("no match: exit %d, %q", code, out)
	}
}

func TestQueueShow(t *testing.T) {
	queueAdmin(t)
	code, out, errOut := crmguard(t, "queue", "show", idPending)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`(?m)^ID: +` + idPending + `$`, `(?m)^State: +pending$`, `(?m)^Request: +PATCH /services/data/v59.0/sobjects/Contact/003B5$`,
		`(?m)^Created: +\S+ \(3h0[45]m ago\)$`, `(?m)^Next attempt: +\S+ \(in (5[89]m|1h00m)\)$`,
		`Headers:\n  Content-Type: application/json\n`, `Body:\n  \{"LastName":"Müller \[2J"\}\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("show does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("show printed an escape character from the body")
	}
	code, out, _ = crmguard(t, "queue", "show", "--json", idDeadSF)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v["dead_reason"] != "gave up after 50 attempts" {
		t.Errorf("show --json: exit %d, %v, %s", code, err, out)
	}
	if code, _, errOut := crmguard(t, "queue", "show", "01KQ00000000000000000000ZZ"); code != 1 || !strings.Contains(errOut, `no queue entry "01KQ00000000000000000000ZZ"`) {
		t.Errorf("show unknown: exit %d, %q; want 1 and the API's message", code, errOut)
	}
}

func TestQueueReplay(t *testing.T) {
	db, _ := queueAdmin(t)
	state := func(id string) outbox.State {
		t.Helper()
		e, err := db.GetEntry(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return e.State
	}
	code, out, errOut := crmguard(t, "queue", "replay", idDeadHS)
	if code != 0 || out != "replayed 1 entry\n" || state(idDeadHS) != outbox.Pending {
		t.Errorf("replay ID: exit %d, %q %q, state %s; want 0, replayed 1, pending", code, out, errOut, state(idDeadHS))
	}
	code, out, errOut = crmguard(t, "queue", "replay", idPending, idDone)
	if code != 1 || !strings.Contains(out, "skipped "+idPending+": state is pending, not dead") ||
		!strings.Contains(errOut, "2 of the entries named were not replayed") {
		t.Errorf("replay entries that are not dead: exit %d, %q, %q; want 1 with the reasons", code, out, errOut)
	}
	code, out, errOut = crmguard(t, "queue", "replay", "--upstream", "sf", "--dead")
	if code != 0 || out != "replayed 2 entries\n" || state(idDeadSF) != outbox.Pending || state(idDeadLong) != outbox.Pending {
		t.Errorf("replay --upstream sf --dead: exit %d, %q %q; want 0 and both sf dead entries pending", code, out, errOut)
	}
}

func TestQueueDrop(t *testing.T) {
	db, _ := queueAdmin(t)
	code, out, errOut := crmguard(t, "queue", "drop", idPending, "--reason", "sent by hand, ticket 4711")
	if code != 0 || !strings.HasPrefix(out, "dropped "+idPending) {
		t.Fatalf("drop: exit %d, %q %q", code, out, errOut)
	}
	if e, err := db.GetEntry(t.Context(), idPending); err != nil || e.State != outbox.Dead || e.DeadReason != outbox.DropPrefix+"sent by hand, ticket 4711" {
		t.Errorf("stored after drop: %+v, %v", e, err)
	}
	code, out, errOut = crmguard(t, "queue", "drop", idDone, idDeadSF, "--reason", "x")
	if code != 1 || !strings.Contains(errOut, "delivered") || !strings.Contains(errOut, "1 of 2 entries could not be dropped") || !strings.HasPrefix(out, "dropped "+idDeadSF) {
		t.Errorf("drop delivered and dead: exit %d, %q %q; want 1, the delivered one refused, the dead one dropped", code, out, errOut)
	}
}

func TestQueue_UsageErrors(t *testing.T) {
	queueAdmin(t)
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"queue"}, "Usage: crmguard queue COMMAND"},
		{[]string{"queue", "purge"}, `unknown command "purge"`},
		{[]string{"queue", "list", "--state", "failed"}, "want pending, inflight, delivered or dead"},
		{[]string{"queue", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"queue", "list", "--token", testToken}, "flag provided but not defined: -token"},
		{[]string{"queue", "list", "--admin", "127.0.0.1:8081"}, "is not a URL such as http://127.0.0.1:8081"},
		{[]string{"queue", "show"}, "want one entry ID"},
		{[]string{"queue", "replay"}, "say what to replay"},
		{[]string{"queue", "replay", "--upstream", "sf"}, "add --dead"},
		{[]string{"queue", "replay", "--dead"}, "--upstream NAME, or --all"},
		{[]string{"queue", "replay", idDeadSF, "--dead", "--all"}, "not both"},
		{[]string{"queue", "drop", idPending}, "--reason is required"},
		{[]string{"queue", "drop", "--reason", "x"}, "want the IDs"},
		{[]string{"queue", "drop", idPending, "--reason", strings.Repeat("x", 501)}, "501 characters"},
		{[]string{"queue", "list", "--token-env", "CRMGUARD_TEST_NO_SUCH_TOKEN"}, "no admin token: set CRMGUARD_TEST_NO_SUCH_TOKEN"},
	} {
		code, _, errOut := crmguard(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 mentioning %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestQueue_AdminErrors(t *testing.T) {
	_, adminURL := queueAdmin(t)
	t.Setenv("CRMGUARD_ADMIN_TOKEN", "not-the-token-at-all")
	code, _, errOut := crmguard(t, "queue", "list")
	if code != 1 || !strings.Contains(errOut, "admin API at "+adminURL+" refused the token: set CRMGUARD_ADMIN_TOKEN to the token crmguard was started with") {
		t.Errorf("wrong token: exit %d, %q", code, errOut)
	}
	t.Setenv("OTHER_TOKEN", testToken)
	if code, _, errOut := crmguard(t, "queue", "list", "--token-env", "OTHER_TOKEN"); code != 0 {
		t.Errorf("--token-env OTHER_TOKEN: exit %d, %q; want 0", code, errOut)
	}
	t.Setenv("CRMGUARD_ADMIN_TOKEN", testToken)

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	code, _, errOut = crmguard(t, "queue", "list", "--admin", closed.URL)
	if code != 1 || !strings.Contains(errOut, "cannot reach the admin API at "+closed.URL) || !strings.Contains(errOut, "admin.listen") {
		t.Errorf("nothing listening: exit %d, %q", code, errOut)
	}

	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<h1>no route</h1>"))
	}))
	defer gateway.Close()
	code, _, errOut = crmguard(t, "queue", "show", idDeadSF, "--admin", gateway.URL)
	if code != 1 || !strings.Contains(errOut, "not the admin API's JSON: is --admin the admin listener") {
		t.Errorf("pointed at something else: exit %d, %q", code, errOut)
	}

	noQueue := httptest.NewServer(admin.New(admin.Options{Token: testToken}))
	defer noQueue.Close()
	code, _, errOut = crmguard(t, "queue", "list", "--admin", noQueue.URL)
	if code != 1 || !strings.Contains(errOut, "listing the queue: no queue") {
		t.Errorf("crmguard without a queue: exit %d, %q", code, errOut)
	}
}

func TestQueue_Help(t *testing.T) {
	code, out, _ := crmguard(t, "queue", "--help")
	if code != 0 {
		t.Fatalf("queue --help: exit %d", code)
	}
	for _, want := range []string{"list", "show ID", "replay ID...", "replay --dead --upstream U", "replay --dead --all",
		"drop ID... --reason TEXT", "--state", "--record-key", "--limit", "--json", "--reason-contains", "--include-dropped",
		"--admin URL", "CRMGUARD_ADMIN_URL", "--token-env", "CRMGUARD_ADMIN_TOKEN", "--timeout", "Exit status"} {
		if !strings.Contains(out, want) {
			t.Errorf("queue --help lacks %q", want)
		}
	}
	if code, _, errOut := crmguard(t, "queue", "drop", "--help"); code != 0 || !strings.Contains(errOut, "-reason") {
		t.Errorf("queue drop --help: exit %d, %q", code, errOut)
	}
	if _, out, _ := crmguard(t, "help"); !strings.Contains(out, "crmguard queue list|show|replay|drop") {
		t.Errorf("crmguard help does not list the queue command:\n%s", out)
	}
}
