package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/alert"
)

const alertsUsage = `Usage: crmguard alerts COMMAND [ARGS] [OPTIONS]

See and handle the alerts of a running crmguard through its admin API.

Commands:
  list [--state S] [--json]
      List the alerts, firing first: ID, STATE, SEVERITY, RULE, LABELS (but
      alertname and severity), AGE (since it fired, or for a pending alert
      since its condition began to hold), who acknowledged it (ACK) and
      whether a silence or maintenance window holds its notifications back
      (SILENCED); each alert's summary follows on a line of its own. S is
      pending, firing or resolved. --json prints the admin API's JSON.
  show ID [--json]
      Print one alert with its labels, annotations and acknowledgement.
  history [--since D] [--alert ID] [--rule R] [--limit N] [--json]
      The alert history, newest first: when alerts fired, resolved, were
      acknowledged, silenced or unsilenced. D is a duration ago (15m, 24h)
      or an RFC 3339 time; --limit (default 100) is at most 1000.
  ack ID [--comment TEXT] [--by NAME]
      Acknowledge a pending or firing alert: its group is no longer
      repeated until the alert resolves and fires again. --by defaults to $USER.
  silence --match LABEL=VALUE... (--for D | --until TIME) [--comment TEXT] [--by NAME]
      Hold back the notifications of the alerts whose labels all match,
      from now for D (2h, 30m) or until TIME (RFC 3339). Repeat --match for
      several labels; a VALUE may hold * wildcards (--match upstream=sf-*).
      Alerts are still evaluated and listed. --by defaults to $USER.
      Prints the new silence's ID.
  silences [--expired] [--json]
      List the silences that are active or still to come, soonest ending
      first; --expired lists the ended ones too.
  expire SILENCE_ID
      End a silence now.
  notifications [--since D] [--notifier N] [--limit N] [--json]
      The notification log, newest first: what was sent to which notifier,
      and what failed and why.

Options of every command:
  --admin URL        the admin API (default $CRMGUARD_ADMIN_URL, else http://127.0.0.1:8081)
  --token-env NAME   the environment variable holding the admin token
                     (default CRMGUARD_ADMIN_TOKEN); the token is never a flag,
                     so it stays out of shell history and process listings
  --timeout D        give up on the admin API after D (default 1m)

Exit status: 0 done, 1 the operation failed (the admin API's reason is
printed), 2 usage error (including no token in the environment).

See docs/admin-api.md, "Alerts".
`

const (
	// maxAckBy and maxAlertComment are the admin API's limits in bytes,
	// checked here too so that a long value is a usage error before
	// anything is sent.
	maxAckBy        = 200
	maxAlertComment = 1000
	// maxAlertPage is the admin API's largest page of history events and
	// notifications.
	maxAlertPage = 1000
)

// alertsCmd runs `crmguard alerts COMMAND`. getenv reads the environment:
// the admin URL's default, the token, and $USER for --by.
func alertsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, alertsUsage)
		return errUsage
	}
	q := adminRun{group: "alerts", getenv: getenv, stdout: stdout, stderr: stderr}
	switch cmd, args := args[0], args[1:]; cmd {
	case "list":
		return q.alertList(ctx, args)
	case "show":
		return q.alertShow(ctx, args)
	case "history":
		return q.alertHistory(ctx, args)
	case "ack":
		return q.alertAck(ctx, args)
	case "silence":
		return q.silence(ctx, args)
	case "silences":
		return q.silences(ctx, args)
	case "expire":
		return q.expireSilence(ctx, args)
	case "notifications":
		return q.notifications(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, alertsUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "crmguard alerts: unknown command %q\n\n%s", cmd, alertsUsage)
		return errUsage
	}
}

// adminAlert is an alert of the admin API.
type adminAlert struct {
	ID           string            `json:"id"`
	Rule         string            `json:"rule"`
	State        string            `json:"state"`
	Severity     string            `json:"severity"`
	Group        string            `json:"group"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	Value        float64           `json:"value"`
	ActiveSince  time.Time         `json:"active_since"`
	FiredAt      *time.Time        `json:"fired_at"`
	ResolvedAt   *time.Time        `json:"resolved_at"`
	Acknowledged *struct {
		By      string    `json:"by"`
		Comment string    `json:"comment"`
		At      time.Time `json:"at"`
	} `json:"acknowledged"`
	Silenced   bool     `json:"silenced"`
	SilencedBy []string `json:"silenced_by"`
}

// since is when a has been firing, or pending if it never fired.
func (a adminAlert) since() time.Time {
	if a.FiredAt != nil {
		return *a.FiredAt
	}
	return a.ActiveSince
}

func (q adminRun) alertList(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("list", "list [--state S] [--json]")
	state := fs.String("state", "", "only alerts in this `state`: pending, firing or resolved")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("list", "unexpected argument %q; filter with --state, or see one alert with crmguard alerts show ID", rest[0])
	case *state != "" && *state != "pending" && *state != "firing" && *state != "resolved":
		return q.usage("list", "--state %q: want pending, firing or resolved", *state)
	}
	c, err := q.client("list", conn)
	if err != nil {
		return err
	}
	path := "/api/v1/alerts"
	if *state != "" {
		path += "?" + url.Values{"state": {*state}}.Encode()
	}
	var out struct {
		Alerts []adminAlert `json:"alerts"`
	}
	if printed, err := q.fetch(ctx, c, path, "listing alerts", *asJSON, &out); printed || err != nil {
		return err
	}
	if len(out.Alerts) == 0 {
		if *state != "" {
			fmt.Fprintf(q.stdout, "no %s alerts\n", *state)
		} else {
			fmt.Fprintln(q.stdout, "no alerts")
		}
		return nil
	}
	printAlerts(q.stdout, out.Alerts, time.Now())
	return nil
}

// printAlerts prints as as aligned columns, with ages as of now, each
// row followed by the alert's summary, indented.
func printAlerts(w io.Writer, as []adminAlert, now time.Time) {
	rows := make([]string, len(as))
	for i, a := range as {
		ack := "-"
		if a.Acknowledged != nil {
			ack = shorten(clean(a.Acknowledged.By), 12)
		}
		rows[i] = fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", clean(a.ID), clean(a.State), clean(orDash(a.Severity)),
			shorten(clean(a.Rule), 24), shorten(clean(labelList(a.Labels)), 32), age(now.Sub(a.since())), ack,
			yesNo(a.Silenced, "yes", "no"))
	}
	notes := make([]string, len(as))
	for i, a := range as {
		notes[i] = a.Annotations["summary"]
	}
	printRows(w, "ID\tSTATE\tSEVERITY\tRULE\tLABELS\tAGE\tACK\tSILENCED", rows, notes)
}

// printRows prints a table of tab-separated rows under header, each row
// followed by its note, if any, indented on a line of its own. The notes
// are kept out of the tabwriter, where a line without tabs would end the
// column blocks and misalign the rows after it.
func printRows(w io.Writer, header string, rows, notes []string) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, l := range lines[1:] {
		fmt.Fprintln(w, l)
		if n := strings.TrimSpace(clean(notes[i])); n != "" {
			fmt.Fprintln(w, "    "+shorten(n, 96))
		}
	}
}

// labelList prints labels as sorted k=v pairs, without alertname and
// severity, which have columns of their own.
func labelList(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if k != "alertname" && k != "severity" {
			parts = append(parts, k+"="+labels[k])
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func (q adminRun) alertShow(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("show", "show ID [--json]")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) != 1:
		return q.usage("show", "want one alert ID (crmguard alerts list shows them), got %d arguments", len(rest))
	}
	c, err := q.client("show", conn)
	if err != nil {
		return err
	}
	var a adminAlert
	if printed, err := q.fetch(ctx, c, "/api/v1/alerts/"+url.PathEscape(rest[0]), "showing alert "+rest[0], *asJSON, &a); printed || err != nil {
		return err
	}
	printAlert(q.stdout, a, time.Now())
	return nil
}

// printAlert prints every field of a that is set, one per line, then its
// labels and annotations.
func printAlert(w io.Writer, a adminAlert, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, clean(v))
		}
	}
	line("ID", a.ID)
	line("Rule", a.Rule)
	line("State", a.State)
	line("Severity", a.Severity)
	line("Group", a.Group)
	line("Value", strconv.FormatFloat(a.Value, 'g', -1, 64))
	line("Active since", stamp(a.ActiveSince, now))
	if a.FiredAt != nil {
		line("Fired", stamp(*a.FiredAt, now))
	}
	if a.ResolvedAt != nil {
		line("Resolved", stamp(*a.ResolvedAt, now))
	}
	if k := a.Acknowledged; k != nil {
		v := "by " + k.By + " at " + stamp(k.At, now)
		if k.Comment != "" {
			v += ": " + k.Comment
		}
		line("Acknowledged", v)
	} else if a.State != "resolved" {
		line("Acknowledged", "no")
	}
	line("Silenced by", strings.Join(a.SilencedBy, ", "))
	tw.Flush()

	if len(a.Labels) > 0 {
		fmt.Fprintln(w, "Labels:")
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			fmt.Fprintf(w, "  %s=%s\n", clean(k), clean(a.Labels[k]))
		}
	}
	if len(a.Annotations) > 0 {
		fmt.Fprintln(w, "Annotations:")
		for _, k := range annotationKeys(a.Annotations) {
			ls := strings.Split(strings.TrimRight(a.Annotations[k], "\n"), "\n")
			fmt.Fprintf(w, "  %s: %s\n", clean(k), clean(ls[0]))
			for _, l := range ls[1:] {
				fmt.Fprintln(w, "    "+clean(l))
			}
		}
	}
}

// annotationKeys orders annotations as they are read: what happened, the
// details, what to do, then any others by name.
func annotationKeys(m map[string]string) []string {
	first := []string{"summary", "description", "remediation"}
	var keys []string
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// stamp prints t in UTC and how long before or after now it is.
func stamp(t, now time.Time) string {
	return t.UTC().Format(time.RFC3339) + " (" + relative(t, now) + ")"
}

// relative says when t is as of now: "12m ago" or "in 1h59m".
func relative(t, now time.Time) string {
	if d := t.Sub(now); d > 0 {
		return "in " + age(d)
	}
	return age(now.Sub(t)) + " ago"
}

// logFlags adds the filters that the history and the notification log
// share and returns a func that checks them and builds the query.
func logFlags(q adminRun, command string, fs *flag.FlagSet) func() (url.Values, error) {
	since := fs.String("since", "", "only what happened since this `time`: a duration ago such as 15m or 24h, or an RFC 3339 time")
	limit := fs.Int("limit", 100, fmt.Sprintf("print at most `N` (1 to %d), newest first", maxAlertPage))
	return func() (url.Values, error) {
		v := url.Values{"limit": {strconv.Itoa(*limit)}}
		if *limit < 1 || *limit > maxAlertPage {
			return nil, q.usage(command, "--limit must be from 1 to %d", maxAlertPage)
		}
		if *since != "" {
			if err := checkSince(*since); err != nil {
				return nil, q.usage(command, "--since %q: %v", *since, err)
			}
			v.Set("since", *since)
		}
		return v, nil
	}
}

// checkSince checks a --since as the admin API reads it.
func checkSince(s string) error {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return errors.New("a duration means that long ago and must not be negative")
		}
		return nil
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return errors.New("want a duration ago such as 15m or an RFC 3339 time such as 2026-11-23T10:00:00Z")
	}
	return nil
}

// adminEvent is an event of the admin API's alert history.
type adminEvent struct {
	ID      int64             `json:"id"`
	At      time.Time         `json:"at"`
	AlertID string            `json:"alert_id"`
	Rule    string            `json:"rule"`
	Labels  map[string]string `json:"labels"`
	Kind    string            `json:"kind"`
	By      string            `json:"by"`
	Detail  string            `json:"detail"`
}

func (q adminRun) alertHistory(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("history", "history [--since D] [--alert ID] [--rule R] [--limit N] [--json]")
	query := logFlags(q, "history", fs)
	alertID := fs.String("alert", "", "only the events of the alert with this `ID`")
	rule := fs.String("rule", "", "only the events of the alerts of this `rule`")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("history", "unexpected argument %q; filter with --alert ID or --rule R", rest[0])
	}
	v, err := query()
	if err != nil {
		return err
	}
	for k, s := range map[string]string{"alert": *alertID, "rule": *rule} {
		if s != "" {
			v.Set(k, s)
		}
	}
	c, err := q.client("history", conn)
	if err != nil {
		return err
	}
	var out struct {
		Events []adminEvent `json:"events"`
	}
	if printed, err := q.fetch(ctx, c, "/api/v1/alerts/history?"+v.Encode(), "reading the alert history", *asJSON, &out); printed || err != nil {
		return err
	}
	if len(out.Events) == 0 {
		fmt.Fprintln(q.stdout, "no alert events match")
		return nil
	}
	rows := make([]string, len(out.Events))
	notes := make([]string, len(out.Events))
	for i, e := range out.Events {
		rows[i] = fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", e.At.UTC().Format(time.RFC3339), clean(e.Kind), clean(e.AlertID),
			shorten(clean(e.Rule), 24), shorten(clean(orDash(e.By)), 12), shorten(clean(labelList(e.Labels)), 32))
		notes[i] = e.Detail
	}
	printRows(q.stdout, "AT\tKIND\tALERT\tRULE\tBY\tLABELS", rows, notes)
	return nil
}

// author is who acknowledges or silences: by, else $USER.
func (q adminRun) author(command, by string) (string, error) {
	if by = strings.TrimSpace(by); by == "" {
		by = strings.TrimSpace(q.getenv("USER"))
	}
	switch {
	case by == "":
		return "", q.usage(command, "say who you are with --by NAME ($USER is not set); it is kept for audit")
	case len(by) > maxAckBy || !utf8.ValidString(by):
		return "", q.usage(command, "--by must be UTF-8 text of at most %d bytes", maxAckBy)
	}
	return by, nil
}

// checkComment checks a --comment against the admin API's limit.
func (q adminRun) checkComment(command, comment string) error {
	if len(comment) > maxAlertComment || !utf8.ValidString(comment) {
		return q.usage(command, "--comment must be UTF-8 text of at most %d bytes; put details in your ticket", maxAlertComment)
	}
	return nil
}

func (q adminRun) alertAck(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("ack", "ack ID [--comment TEXT] [--by NAME]")
	comment := fs.String("comment", "", "why, or what is being done about it, as `text`")
	by := fs.String("by", "", "your `name`, kept with the acknowledgement (default $USER)")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) != 1:
		return q.usage("ack", "want one alert ID (crmguard alerts list shows them), got %d arguments", len(rest))
	}
	who, err := q.author("ack", *by)
	if err != nil {
		return err
	}
	if err := q.checkComment("ack", *comment); err != nil {
		return err
	}
	c, err := q.client("ack", conn)
	if err != nil {
		return err
	}
	var a adminAlert
	body := map[string]string{"by": who, "comment": *comment}
	if err := c.call(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(rest[0])+"/ack", body, &a); err != nil {
		return fmt.Errorf("acknowledging alert %s: %w", rest[0], err)
	}
	fmt.Fprintf(q.stdout, "acknowledged %s (%s) as %s\n", clean(a.ID), clean(a.Rule), clean(who))
	return nil
}

// matchers collects the repeated --match LABEL=VALUE flags of a silence.
type matchers map[string]string

func (m matchers) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// labelName is the admin API's rule for a label name (alert.CheckSilence),
// checked here so that a typo is a usage error.

func (m matchers) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return errors.New("want LABEL=VALUE, such as upstream=sf or alertname=sf-*")
	case !alert.ValidLabelName(k):
		return fmt.Errorf("%q is not a label name (letters, digits and _); want LABEL=VALUE, such as upstream=sf", k)
	case strings.Trim(v, "*") == "":
		return fmt.Errorf("%s=%q would match every value; name the value to silence", k, v)
	}
	if old, dup := m[k]; dup {
		return fmt.Errorf("label %s is matched twice (%q and %q); one silence matches one pattern per label, so create two silences", k, old, v)
	}
	m[k] = v
	return nil
}

// adminSilence is a silence of the admin API.
type adminSilence struct {
	ID        string            `json:"id"`
	Matchers  map[string]string `json:"matchers"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
	CreatedAt time.Time         `json:"created_at"`
	Active    bool              `json:"active"`
}

func (q adminRun) silence(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("silence", "silence --match LABEL=VALUE... (--for D | --until TIME) [--comment TEXT] [--by NAME]")
	match := matchers{}
	fs.Var(match, "match", "silence the alerts whose label matches `LABEL=VALUE` (* is a wildcard); repeat for more labels, all must match")
	dur := fs.Duration("for", 0, "end the silence after this `duration` from now, such as 2h")
	until := fs.String("until", "", "end the silence at this RFC 3339 `time`, such as 2026-11-23T18:00:00+01:00")
	comment := fs.String("comment", "", "why the alerts are silenced, as `text`")
	by := fs.String("by", "", "your `name`, kept with the silence (default $USER)")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("silence", "unexpected argument %q; select alerts with --match LABEL=VALUE", rest[0])
	case len(match) == 0:
		return q.usage("silence", "say which alerts to silence with --match LABEL=VALUE, e.g. --match upstream=sf --match alertname=sf-*")
	case *dur != 0 && *until != "":
		return q.usage("silence", "give --for or --until, not both")
	case *dur == 0 && *until == "":
		return q.usage("silence", "say when the silence ends: --for 2h, or --until 2026-11-23T18:00:00+01:00")
	case *dur < 0:
		return q.usage("silence", "--for must be positive")
	}
	body := map[string]any{"matchers": match}
	if *dur > 0 {
		body["duration"] = dur.String()
	} else {
		end, err := time.Parse(time.RFC3339, *until)
		switch {
		case err != nil:
			return q.usage("silence", "--until %q: want an RFC 3339 time such as 2026-11-23T18:00:00+01:00", *until)
		case !end.After(time.Now()):
			return q.usage("silence", "--until %s has passed", *until)
		}
		body["ends_at"] = end
	}
	who, err := q.author("silence", *by)
	if err != nil {
		return err
	}
	if err := q.checkComment("silence", *comment); err != nil {
		return err
	}
	body["created_by"], body["comment"] = who, *comment
	c, err := q.client("silence", conn)
	if err != nil {
		return err
	}
	var s adminSilence
	if err := c.call(ctx, "POST", "/api/v1/silences", body, &s); err != nil {
		return fmt.Errorf("creating the silence: %w", err)
	}
	fmt.Fprintf(q.stdout, "created silence %s until %s\n", clean(s.ID), stamp(s.EndsAt, time.Now()))
	return nil
}

func (q adminRun) silences(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("silences", "silences [--expired] [--json]")
	expired := fs.Bool("expired", false, "also list the silences that have ended")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("silences", "unexpected argument %q", rest[0])
	}
	c, err := q.client("silences", conn)
	if err != nil {
		return err
	}
	path := "/api/v1/silences"
	if *expired {
		path += "?expired=true"
	}
	var out struct {
		Silences []adminSilence `json:"silences"`
	}
	if printed, err := q.fetch(ctx, c, path, "listing silences", *asJSON, &out); printed || err != nil {
		return err
	}
	if len(out.Silences) == 0 {
		fmt.Fprintln(q.stdout, yesNo(*expired, "no silences", "no active or pending silences"))
		return nil
	}
	now := time.Now()
	rows := make([]string, len(out.Silences))
	notes := make([]string, len(out.Silences))
	for i, s := range out.Silences {
		state := "expired"
		switch {
		case s.Active:
			state = "active"
		case s.StartsAt.After(now):
			state = "pending"
		}
		rows[i] = fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", clean(s.ID), state, relative(s.StartsAt, now), relative(s.EndsAt, now),
			shorten(clean(s.CreatedBy), 12), clean(matchers(s.Matchers).String()))
		notes[i] = s.Comment
	}
	printRows(q.stdout, "ID\tSTATE\tSTARTS\tENDS\tBY\tMATCHERS", rows, notes)
	return nil
}

func (q adminRun) expireSilence(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("expire", "expire SILENCE_ID")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) != 1:
		return q.usage("expire", "want one silence ID (crmguard alerts silences shows them), got %d arguments", len(rest))
	}
	c, err := q.client("expire", conn)
	if err != nil {
		return err
	}
	if err := c.call(ctx, "DELETE", "/api/v1/silences/"+url.PathEscape(rest[0]), nil, nil); err != nil {
		return fmt.Errorf("expiring silence %s: %w", rest[0], err)
	}
	fmt.Fprintf(q.stdout, "expired silence %s\n", clean(rest[0]))
	return nil
}

// adminNotification is an entry of the admin API's notification log.
type adminNotification struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Notifier string    `json:"notifier"`
	Group    string    `json:"group"`
	Kind     string    `json:"kind"`
	Outcome  string    `json:"outcome"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	Alerts   []string  `json:"alerts"`
}

func (q adminRun) notifications(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("notifications", "notifications [--since D] [--notifier N] [--limit N] [--json]")
	query := logFlags(q, "notifications", fs)
	notifier := fs.String("notifier", "", "only the notifications sent to this `notifier`")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("notifications", "unexpected argument %q; filter with --notifier N or --since D", rest[0])
	}
	v, err := query()
	if err != nil {
		return err
	}
	if *notifier != "" {
		v.Set("notifier", *notifier)
	}
	c, err := q.client("notifications", conn)
	if err != nil {
		return err
	}
	var out struct {
		Notifications []adminNotification `json:"notifications"`
	}
	if printed, err := q.fetch(ctx, c, "/api/v1/notifications?"+v.Encode(), "reading the notification log", *asJSON, &out); printed || err != nil {
		return err
	}
	if len(out.Notifications) == 0 {
		fmt.Fprintln(q.stdout, "no notifications match")
		return nil
	}
	rows := make([]string, len(out.Notifications))
	notes := make([]string, len(out.Notifications))
	for i, n := range out.Notifications {
		rows[i] = fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d\t%s", n.At.UTC().Format(time.RFC3339), shorten(clean(n.Notifier), 16),
			clean(n.Kind), clean(n.Outcome), n.Attempts, len(n.Alerts), shorten(clean(n.Group), 40))
		if n.Error != "" {
			notes[i] = "error: " + n.Error
		}
	}
	printRows(q.stdout, "AT\tNOTIFIER\tKIND\tOUTCOME\tATTEMPTS\tALERTS\tGROUP", rows, notes)
	return nil
}

// orDash returns s, or "-" if it is empty, so that no cell is blank.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fetch GETs path from the admin API. With asJSON it prints the answer as
// it came and reports printed; otherwise it decodes it into out. what
// names the operation in errors.
func (q adminRun) fetch(ctx context.Context, c *adminClient, path, what string, asJSON bool, out any) (printed bool, err error) {
	var raw json.RawMessage
	if err := c.call(ctx, "GET", path, nil, &raw); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if asJSON {
		return true, printJSON(q.stdout, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return false, nil
}
