package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/outbox"
)

const queueUsage = `Usage: crmguard queue COMMAND [ARGS] [OPTIONS]

Operate the durable write queue of a running crmguard through its admin API.

Commands:
  list [--state S] [--upstream U] [--record-key K] [--limit N] [--json]
      List entries, oldest first: ID, STATE, UPSTREAM, METHOD, PATH, ATTEMPTS,
      AGE and the dead reason or last error. S is pending, inflight, delivered
      or dead. --limit (default 100) bounds the rows; 0 lists every entry.
      --json prints the admin API's JSON instead of the table.
  show ID [--json]
      Print one entry with its headers and body (secret headers are sealed
      and never shown); --json prints the admin API's JSON.
  replay ID...
      Send dead entries again, even ones an operator dropped. Fails (exit 1)
      if any of them is unknown or not dead.
  replay --dead --upstream U [--reason-contains TEXT] [--include-dropped]
  replay --dead --all [--reason-contains TEXT] [--include-dropped]
      Send every dead entry of upstream U (or of every upstream) again,
      optionally only those whose dead reason contains TEXT (any case).
      Entries an operator dropped stay dead unless --include-dropped.
  drop ID... --reason TEXT
      Give up on entries that must not reach the CRM. They become dead
      letters whose reason (required, at most 500 characters) is kept for
      audit. Delivered entries cannot be dropped.

Options of every command:
  --admin URL        the admin API (default $CRMGUARD_ADMIN_URL, else http://127.0.0.1:8081)
  --token-env NAME   the environment variable holding the admin token
                     (default CRMGUARD_ADMIN_TOKEN); the token is never a flag,
                     so it stays out of shell history and process listings
  --timeout D        give up on the admin API after D (default 1m)

Exit status: 0 done, 1 the operation failed (the admin API's reason is
printed), 2 usage error (including no token in the environment).

See docs/admin-api.md, "Write queue".
`

const (
	defaultAdminURL = "http://127.0.0.1:8081"
	defaultTokenEnv = "CRMGUARD_ADMIN_TOKEN"
	// maxDropReason is the admin API's limit, checked here too so that a
	// long reason is a usage error before anything is sent.
	maxDropReason = 500
	// apiPage is the admin API's largest page of entries and of replay ids.
	apiPage = 1000
)

// queueCmd runs `crmguard queue COMMAND`. getenv reads the environment:
// the admin URL's default and the token.
func queueCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, queueUsage)
		return errUsage
	}
	q := adminRun{group: "queue", getenv: getenv, stdout: stdout, stderr: stderr}
	switch cmd, args := args[0], args[1:]; cmd {
	case "list":
		return q.list(ctx, args)
	case "show":
		return q.show(ctx, args)
	case "replay":
		return q.replay(ctx, args)
	case "drop":
		return q.drop(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, queueUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "crmguard queue: unknown command %q\n\n%s", cmd, queueUsage)
		return errUsage
	}
}

// adminRun is the environment and output of one command that talks to
// the admin API, such as crmguard queue list.
type adminRun struct {
	group          string // the command group: queue, contract
	getenv         func(string) string
	stdout, stderr io.Writer
}

// usage reports a usage error of command on stderr.
func (q adminRun) usage(command, format string, args ...any) error {
	fmt.Fprintf(q.stderr, "crmguard %s %s: %s\n", q.group, command, fmt.Sprintf(format, args...))
	return errUsage
}

// connection holds the flags every queue command has.
type connection struct {
	admin, tokenEnv string
	timeout         time.Duration
}

func (q adminRun) flagSet(command, synopsis string) (*flag.FlagSet, *connection) {
	fs := flags(q.group+" "+command, q.group+" "+synopsis+" [--admin URL] [--token-env NAME] [--timeout D]", q.stderr)
	c := &connection{}
	admin := q.getenv("CRMGUARD_ADMIN_URL")
	if admin == "" {
		admin = defaultAdminURL
	}
	fs.StringVar(&c.admin, "admin", admin, "admin API `URL` ($CRMGUARD_ADMIN_URL overrides the default)")
	fs.StringVar(&c.tokenEnv, "token-env", defaultTokenEnv, "environment `variable` holding the admin token")
	fs.DurationVar(&c.timeout, "timeout", time.Minute, "give up on the admin API after this `duration`")
	return fs, c
}

// parseArgs parses fs's flags wherever they stand among the arguments,
// so that `drop ID --reason …` works, and returns the other arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage // flag printed the error and the usage
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest, args = append(rest, fs.Arg(0)), fs.Args()[1:]
	}
}

// client checks the connection flags and the token and returns a client
// of the admin API.
func (q adminRun) client(command string, c *connection) (*adminClient, error) {
	u, err := url.Parse(c.admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, q.usage(command, "--admin %q is not a URL such as %s", c.admin, defaultAdminURL)
	}
	if c.tokenEnv == "" {
		return nil, q.usage(command, "--token-env is empty; name the environment variable that holds the admin token")
	}
	token := strings.TrimSpace(q.getenv(c.tokenEnv))
	if token == "" {
		return nil, q.usage(command, "no admin token: set %s to the token crmguard was started with (the variable named by admin.token_env), or name another variable with --token-env", c.tokenEnv)
	}
	if c.timeout <= 0 {
		return nil, q.usage(command, "--timeout must be positive")
	}
	return &adminClient{
		base: strings.TrimRight(u.String(), "/"), token: token, tokenEnv: c.tokenEnv,
		timeout: c.timeout, http: &http.Client{},
	}, nil
}

// adminClient calls the admin API.
type adminClient struct {
	base, token, tokenEnv string
	timeout               time.Duration
	http                  *http.Client
}

// apiError is an answer of the admin API that is not a success.
type apiError struct {
	Status int
	Detail string
}

func (e *apiError) Error() string { return e.Detail }

// call sends method path with in as its JSON body (none if nil) and
// decodes the JSON answer into out. Errors say what to fix: the address,
// the token, or what the API answered.
func (c *adminClient) call(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("building the request to %s: %w", c.base, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted before the admin API at %s answered; the operation may or may not have been done", c.base)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("admin API at %s did not answer within %s: raise --timeout, or see crmguard's log", c.base, c.timeout)
	case err != nil:
		return fmt.Errorf("cannot reach the admin API at %s: %w; start crmguard, or point --admin (or CRMGUARD_ADMIN_URL) at its admin.listen address", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the answer of the admin API at %s: %w", c.base, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("admin API at %s refused the token: set %s to the token crmguard was started with", c.base, c.tokenEnv)
	}
	notAPI := fmt.Errorf("%s %s%s answered %s with %q, not the admin API's JSON: is --admin the admin listener (admin.listen) and not the gateway?",
		method, c.base, path, resp.Status, resp.Header.Get("Content-Type"))
	if resp.StatusCode/100 != 2 {
		var p struct{ Detail string }
		if json.Unmarshal(raw, &p) != nil || p.Detail == "" {
			return notAPI
		}
		return &apiError{Status: resp.StatusCode, Detail: p.Detail}
	}
	if resp.StatusCode == http.StatusNoContent || out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return notAPI
	}
	return nil
}

// entry is the part of the admin API's entry JSON the text output shows.
type entry struct {
	ID             string          `json:"id"`
	CallID         string          `json:"call_id"`
	Upstream       string          `json:"upstream"`
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	RecordKey      string          `json:"record_key"`
	IdempotencyKey string          `json:"idempotency_key"`
	Idempotent     bool            `json:"idempotent"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	NextAt         time.Time       `json:"next_at"`
	CreatedAt      time.Time       `json:"created_at"`
	LastClass      string          `json:"last_class"`
	LastStatus     int             `json:"last_status"`
	LastError      string          `json:"last_error"`
	DeadReason     string          `json:"dead_reason"`
	DeadAt         time.Time       `json:"dead_at"`
	DeliveredAt    time.Time       `json:"delivered_at"`
	Headers        json.RawMessage `json:"headers"`
	Body           *string         `json:"body"`
	BodyBase64     bool            `json:"body_base64"`
}

func (q adminRun) list(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("list", "list [--state S] [--upstream U] [--record-key K] [--limit N] [--json]")
	state := fs.String("state", "", "only entries in this `state`: pending, inflight, delivered or dead")
	upstream := fs.String("upstream", "", "only entries of this `upstream`")
	recordKey := fs.String("record-key", "", "only entries with this record `key`")
	limit := fs.Int("limit", 100, "print at most `N` entries; 0 prints all")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("list", "unexpected argument %q; filter with --state, --upstream or --record-key", rest[0])
	case *state != "" && !outbox.State(*state).Valid():
		return q.usage("list", "--state %q: want pending, inflight, delivered or dead", *state)
	case *limit < 0:
		return q.usage("list", "--limit must be 0 (all) or more")
	}
	c, err := q.client("list", conn)
	if err != nil {
		return err
	}
	var (
		raws []json.RawMessage
		next string
	)
	for {
		page := apiPage
		if *limit > 0 {
			page = min(*limit-len(raws), apiPage)
		}
		v := url.Values{"limit": {fmt.Sprint(page)}}
		for k, s := range map[string]string{"state": *state, "upstream": *upstream, "record_key": *recordKey, "after": next} {
			if s != "" {
				v.Set(k, s)
			}
		}
		var out struct {
			Entries []json.RawMessage `json:"entries"`
			Next    string            `json:"next"`
		}
		if err := c.call(ctx, "GET", "/api/v1/queue?"+v.Encode(), nil, &out); err != nil {
			return fmt.Errorf("listing the queue: %w", err)
		}
		raws, next = append(raws, out.Entries...), out.Next
		if next == "" || (*limit > 0 && len(raws) >= *limit) {
			break
		}
	}
	if *asJSON {
		if raws == nil {
			raws = []json.RawMessage{}
		}
		return printJSON(q.stdout, map[string]any{"entries": raws, "next": next})
	}
	es := make([]entry, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &es[i]); err != nil {
			return fmt.Errorf("listing the queue: reading entry %d: %w", i+1, err)
		}
	}
	if len(es) == 0 {
		fmt.Fprintln(q.stdout, "no queue entries match")
		return nil
	}
	printTable(q.stdout, es, time.Now())
	if next != "" {
		fmt.Fprintf(q.stderr, "more entries follow %s; raise --limit (0 lists all) or narrow the filters\n", next)
	}
	return nil
}

// printTable prints es as aligned columns, with ages as of now. Values
// that come from clients or CRMs are cleaned of control characters, so
// that they cannot break the columns or drive the terminal.
func printTable(w io.Writer, es []entry, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tUPSTREAM\tMETHOD\tPATH\tATTEMPTS\tAGE\tLAST/DEAD REASON")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			clean(e.ID), clean(e.State), clean(e.Upstream), clean(e.Method), shortenMiddle(clean(e.Path), 48),
			e.Attempts, age(now.Sub(e.CreatedAt)), shorten(clean(reason(e)), 60))
	}
	tw.Flush()
}

// reason is why e is dead, else what its last attempt failed with, else
// "-" (an empty last column would leave the line padded with spaces).
func reason(e entry) string {
	switch {
	case e.DeadReason != "":
		return e.DeadReason
	case lastFailure(e) != "":
		return lastFailure(e)
	}
	return "-"
}

func lastFailure(e entry) string {
	var parts []string
	if e.LastClass != "" {
		parts = append(parts, e.LastClass)
	}
	if e.LastStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.LastStatus))
	}
	s := strings.Join(parts, ", ")
	if e.LastError != "" {
		if s != "" {
			s += ": "
		}
		s += e.LastError
	}
	return s
}

func (q adminRun) show(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("show", "show ID [--json]")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) != 1:
		return q.usage("show", "want one entry ID (crmguard queue list shows them), got %d arguments", len(rest))
	}
	c, err := q.client("show", conn)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.call(ctx, "GET", "/api/v1/queue/"+url.PathEscape(rest[0]), nil, &raw); err != nil {
		return fmt.Errorf("showing %s: %w", rest[0], err)
	}
	if *asJSON {
		return printJSON(q.stdout, raw)
	}
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("showing %s: %w", rest[0], err)
	}
	printEntry(q.stdout, e, time.Now())
	return nil
}

// printEntry prints every field of e that is set, one per line, then its
// headers and body.
func printEntry(w io.Writer, e entry, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, clean(v))
		}
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := now.Sub(t)
		if d < 0 {
			return fmt.Sprintf("%s (in %s)", t.UTC().Format(time.RFC3339Nano), age(-d))
		}
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339Nano), age(d))
	}
	line("ID", e.ID)
	line("Call", e.CallID)
	line("State", e.State)
	line("Upstream", e.Upstream)
	line("Request", e.Method+" "+e.Path)
	line("Record key", e.RecordKey)
	line("Idempotency key", e.IdempotencyKey)
	line("Idempotent", yesNo(e.Idempotent, "yes: a replay cannot apply it twice", "no: replay only after checking the CRM"))
	line("Attempts", fmt.Sprint(e.Attempts))
	line("Created", when(e.CreatedAt))
	if e.State == string(outbox.Pending) || e.State == string(outbox.Inflight) {
		line("Next attempt", when(e.NextAt))
	}
	line("Last failure", lastFailure(e))
	line("Dead", when(e.DeadAt))
	line("Dead reason", e.DeadReason)
	line("Delivered", when(e.DeliveredAt))
	tw.Flush()

	var h map[string][]string
	if len(e.Headers) > 0 && json.Unmarshal(e.Headers, &h) == nil && len(h) > 0 {
		fmt.Fprintln(w, "Headers:")
		for _, k := range sortedKeys(h) {
			for _, v := range h[k] {
				fmt.Fprintf(w, "  %s: %s\n", clean(k), clean(v))
			}
		}
	}
	switch {
	case e.Body == nil:
		fmt.Fprintln(w, "Body: none stored")
	case e.BodyBase64:
		fmt.Fprintln(w, "Body (not UTF-8 text; base64):")
		fmt.Fprintln(w, "  "+*e.Body)
	default:
		fmt.Fprintln(w, "Body:")
		for l := range strings.SplitSeq(*e.Body, "\n") {
			fmt.Fprintln(w, "  "+clean(l))
		}
	}
}

func (q adminRun) replay(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("replay", "replay ID... | replay --dead (--upstream U | --all) [--reason-contains TEXT] [--include-dropped]")
	dead := fs.Bool("dead", false, "replay the dead entries --upstream or --all select")
	upstream := fs.String("upstream", "", "with --dead: the dead entries of this `upstream`")
	all := fs.Bool("all", false, "with --dead: the dead entries of every upstream")
	contains := fs.String("reason-contains", "", "with --dead: only entries whose dead reason contains this `text` (any case)")
	includeDropped := fs.Bool("include-dropped", false, "with --dead: also replay entries an operator dropped")
	ids, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	selector := *dead || *upstream != "" || *all || *contains != "" || *includeDropped
	switch {
	case len(ids) > 0 && selector:
		return q.usage("replay", "give entry IDs or --dead with --upstream or --all, not both")
	case len(ids) == 0 && !selector:
		return q.usage("replay", "say what to replay: entry IDs, or --dead --upstream NAME, or --dead --all")
	case selector && !*dead:
		return q.usage("replay", "add --dead: only dead entries are replayed, and --dead says you mean all of those selected")
	case selector && *upstream == "" && !*all:
		return q.usage("replay", "say whose dead entries: --upstream NAME, or --all for every upstream")
	case *upstream != "" && *all:
		return q.usage("replay", "give --upstream or --all, not both")
	}
	c, err := q.client("replay", conn)
	if err != nil {
		return err
	}
	type skip struct{ ID, Reason string }
	var (
		replayed int
		skipped  []skip
	)
	send := func(req map[string]any) error {
		var out struct {
			Replayed int    `json:"replayed"`
			Skipped  []skip `json:"skipped"`
		}
		if err := c.call(ctx, "POST", "/api/v1/queue/replay", req, &out); err != nil {
			return fmt.Errorf("replaying: %w (%d entries were replayed before)", err, replayed)
		}
		replayed += out.Replayed
		skipped = append(skipped, out.Skipped...)
		return nil
	}
	if len(ids) > 0 {
		for len(ids) > 0 {
			n := min(len(ids), apiPage)
			if err := send(map[string]any{"ids": ids[:n]}); err != nil {
				return err
			}
			ids = ids[n:]
		}
	} else {
		req := map[string]any{"state": "dead", "reason_contains": *contains, "include_dropped": *includeDropped}
		if *all {
			req["all"] = true
		} else {
			req["upstream"] = *upstream
		}
		if err := send(req); err != nil {
			return err
		}
	}
	fmt.Fprintf(q.stdout, "replayed %d %s\n", replayed, plural(replayed, "entry", "entries"))
	for _, s := range skipped {
		fmt.Fprintf(q.stdout, "skipped %s: %s\n", clean(s.ID), clean(s.Reason))
	}
	if selector || len(skipped) == 0 {
		return nil
	}
	return fmt.Errorf("%d of the entries named were not replayed; see the reasons above", len(skipped))
}

func (q adminRun) drop(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("drop", "drop ID... --reason TEXT")
	why := fs.String("reason", "", "why the write must not reach the CRM (required, at most 500 characters)")
	ids, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	*why = strings.TrimSpace(*why)
	switch n := utf8.RuneCountInString(*why); {
	case len(ids) == 0:
		return q.usage("drop", "want the IDs of the entries to drop (crmguard queue list shows them)")
	case n == 0:
		return q.usage("drop", `--reason is required: say why, e.g. --reason "duplicate of ticket 4711"; it is kept with the entry for audit`)
	case n > maxDropReason:
		return q.usage("drop", "--reason has %d characters; keep it to %d and put details in your ticket", n, maxDropReason)
	}
	c, err := q.client("drop", conn)
	if err != nil {
		return err
	}
	failed := 0
	for _, id := range ids {
		var e entry
		err := c.call(ctx, "POST", "/api/v1/queue/"+url.PathEscape(id)+"/drop", map[string]string{"reason": *why}, &e)
		var api *apiError
		switch {
		case errors.As(err, &api) && (api.Status == http.StatusNotFound || api.Status == http.StatusConflict):
			// This entry cannot be dropped; the others may be.
			fmt.Fprintf(q.stderr, "crmguard queue drop: %s\n", clean(api.Detail))
			failed++
		case err != nil:
			return fmt.Errorf("dropping %s: %w", id, err)
		default:
			fmt.Fprintf(q.stdout, "dropped %s (was %s %s %s)\n", clean(e.ID), clean(e.Upstream), clean(e.Method), clean(e.Path))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d %s could not be dropped; see the reasons above", failed, len(ids), plural(len(ids), "entry", "entries"))
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("printing JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// age prints d coarsely, as operators read a queue: 45s, 12m, 3h05m, 2d04h.
func age(d time.Duration) string {
	switch d = max(d, 0).Round(time.Second); {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// clean replaces control characters, including tabs and newlines, with
// spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// shorten cuts s to at most n characters, ending in "…" if it was cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// shortenMiddle cuts s to at most n characters by removing its middle:
// a path's start names the API and its end the record.
func shortenMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// yesNo returns yes when b is set, else no.
func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
