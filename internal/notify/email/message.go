package email

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crmguard/crmguard/internal/notify"
)

// maxSubject is the most runes of a subject kept: the group labels can
// be many, and a header line must stay under 998 bytes (RFC 5322 §2.1.1).
const maxSubject = 200

// timeFormat is how times appear in the body: UTC, so that recipients in
// different zones read the same value.
const timeFormat = "2006-01-02 15:04:05 MST"

// compose returns m as an RFC 5322 message with a quoted-printable UTF-8
// text body, lines ending in CRLF.
func (n *Notifier) compose(m notify.Message, now time.Time) []byte {
	domain := n.from.Address[strings.LastIndexByte(n.from.Address, '@')+1:]
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.String()
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", n.from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", encodeHeader(subject(m)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+rand.Text()+"@"+domain+">")
	// Every message of a group refers to the same made-up ID, so mail
	// clients thread a group's firing, repeats and resolution together.
	// Message-IDs stay unique: a group that fires again must not be
	// dropped as a duplicate.
	sum := sha256.Sum256([]byte(m.Group))
	header("References", "<group-"+hex.EncodeToString(sum[:12])+"@"+domain+">")
	// RFC 3834: keeps vacation responders from answering alerts.
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer do not fail.
	_, _ = qp.Write([]byte(body(m)))
	_ = qp.Close()
	return b.Bytes()
}

// subject returns the subject of m's e-mail, before any encoding: the
// status, the most severe severity, the rule and the group's other
// labels, such as "[crmguard] FIRING critical: sf-auth-failures
// (upstream=sf)", and the number of alerts when there are several.
func subject(m notify.Message) string {
	status := "FIRING"
	if m.Status == notify.Resolved {
		status = "RESOLVED"
	}
	counted := counted(m)
	var s strings.Builder
	s.WriteString("[crmguard] " + status)
	if sev := severity(counted); sev != "" {
		s.WriteString(" " + sev)
	}
	rule := m.GroupLabels["alertname"]
	if rule == "" && len(m.Alerts) > 0 {
		rule = m.Alerts[0].Rule
	}
	s.WriteString(": " + cmp.Or(rule, m.Group))
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(m.GroupLabels)) {
		if k != "alertname" && k != "severity" && m.GroupLabels[k] != "" {
			labels = append(labels, k+"="+m.GroupLabels[k])
		}
	}
	if len(labels) > 0 {
		s.WriteString(" (" + strings.Join(labels, ", ") + ")")
	}
	if len(counted) > 1 {
		s.WriteString(" - " + strconv.Itoa(len(counted)) + " alerts")
	}
	return oneLine(s.String(), maxSubject)
}

// counted returns the alerts a subject speaks of: the firing ones while
// the group fires, all of them once it resolved.
func counted(m notify.Message) []notify.Alert {
	if m.Status == notify.Resolved {
		return m.Alerts
	}
	var firing []notify.Alert
	for _, a := range m.Alerts {
		if a.Status == notify.Firing {
			firing = append(firing, a)
		}
	}
	return firing
}

// severity returns the most severe severity among alerts: critical, then
// warning, then info, then any other value found.
func severity(alerts []notify.Alert) string {
	rank := map[string]int{"critical": 3, "warning": 2, "info": 1}
	best := ""
	for _, a := range alerts {
		if best == "" || rank[a.Severity] > rank[best] {
			best = a.Severity
		}
	}
	return best
}

// body returns the text of m's e-mail: the summary, then one block per
// alert with its status and rule, labels, value, start and end,
// annotations (summary, description and remediation first) and link.
func body(m notify.Message) string {
	var b strings.Builder
	if m.Summary != "" {
		b.WriteString(m.Summary + "\n")
	}
	for _, a := range m.Alerts {
		b.WriteString("\n" + strings.ToUpper(string(a.Status)) + " " + cmp.Or(a.Rule, a.ID))
		if a.Severity != "" {
			b.WriteString(" (" + a.Severity + ")")
		}
		b.WriteString("\n")
		var rows [][2]string
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			labels = append(labels, k+"="+a.Labels[k])
		}
		if len(labels) > 0 {
			rows = append(rows, [2]string{"labels", strings.Join(labels, ", ")})
		}
		rows = append(rows, [2]string{"value", strconv.FormatFloat(a.Value, 'g', -1, 64)})
		if !a.StartsAt.IsZero() {
			rows = append(rows, [2]string{"started", a.StartsAt.UTC().Format(timeFormat)})
		}
		if !a.EndsAt.IsZero() {
			rows = append(rows, [2]string{"ended", a.EndsAt.UTC().Format(timeFormat)})
		}
		for _, k := range annotationOrder(a.Annotations) {
			rows = append(rows, [2]string{k, a.Annotations[k]})
		}
		if a.URL != "" {
			rows = append(rows, [2]string{"link", a.URL})
		}
		writeRows(&b, rows)
	}
	b.WriteString("\n-- \nSent by crmguard")
	if !m.SentAt.IsZero() {
		b.WriteString(" at " + m.SentAt.UTC().Format(timeFormat))
	}
	b.WriteString(" for group " + m.Group + ".\n")
	return b.String()
}

// annotationOrder lists the non-empty annotations of a, the common ones
// first in reading order, then the others by name.
func annotationOrder(ann map[string]string) []string {
	first := []string{"summary", "description", "remediation"}
	var out []string
	for _, k := range first {
		if ann[k] != "" {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		if ann[k] != "" && !slices.Contains(first, k) {
			out = append(out, k)
		}
	}
	return out
}

// writeRows writes "  name: value" rows with the values aligned; a value
// of several lines continues under its first.
func writeRows(b *strings.Builder, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, utf8.RuneCountInString(r[0]))
	}
	indent := strings.Repeat(" ", 2+width+1+2)
	for _, r := range rows {
		value := strings.ReplaceAll(strings.TrimSpace(r[1]), "\r\n", "\n")
		value = strings.ReplaceAll(value, "\n", "\n"+indent)
		fmt.Fprintf(b, "  %-*s  %s\n", width+1, r[0]+":", value)
	}
}

// oneLine returns s with control characters (line breaks included) as
// spaces, cut to at most n runes with "..." (ASCII, so that a cut does
// not by itself force encoding).
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-3]) + "..."
}

// encodeHeader returns s as RFC 2047 encoded words when it is not plain
// ASCII, folded between the encoded words (each at most 75 characters,
// RFC 2047 §2) so that a long subject spans several short lines.
func encodeHeader(s string) string {
	e := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(e, "?= =?", "?=\r\n =?")
}
