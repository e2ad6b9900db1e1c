package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"
)

// Attachment is a file attached to a report mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// MailFunc sends a report by mail.
type MailFunc func(ctx context.Context, subject, body string, attachments ...Attachment) error

// Options configure a Runner. Zero fields take the defaults in brackets.
type Options struct {
	// Dir is where reports are written, as
	// crmguard-<kind>-<from date>.<format>. Required; created if missing.
	Dir string
	// Every lists the kinds of report to write. Required.
	Every []Kind
	// Formats lists the formats written for each report [html, md].
	Formats []Format
	// Location is the time zone of the periods and of the times shown
	// [UTC].
	Location *time.Location
	// Delay is how long after its period ends a report is written
	// [DefaultDelay].
	Delay time.Duration
	// Interval is how often Run looks for a due report [1m].
	Interval time.Duration
	// Mail, if set, is sent each report once it is written: the
	// Markdown rendering as body, the files written as attachments.
	Mail MailFunc
	// Logger [slog.Default()].
	Logger *slog.Logger
	// Now tells the time [time.Now].
	Now func() time.Time
}

// Runner writes scheduled reports. What it wrote is the files in Dir, so a
// restart neither repeats nor forgets a report.
type Runner struct {
	src  Source
	opts Options
}

// NewRunner returns a Runner reading src, or an error naming the option
// that is wrong.
func NewRunner(src Source, o Options) (*Runner, error) {
	if o.Dir == "" {
		return nil, errors.New("report runner: no directory to write reports to")
	}
	if len(o.Every) == 0 {
		return nil, errors.New("report runner: no schedule: want daily, weekly and/or monthly")
	}
	for _, k := range o.Every {
		if _, err := ParseKind(string(k)); err != nil {
			return nil, fmt.Errorf("report runner: %w", err)
		}
	}
	if len(o.Formats) == 0 {
		o.Formats = []Format{HTML, Markdown}
	}
	for _, f := range o.Formats {
		if _, err := ParseFormat(string(f)); err != nil {
			return nil, fmt.Errorf("report runner: %w", err)
		}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Runner{src: src, opts: o}, nil
}

// Run writes the reports that are due now and then every Interval, until
// ctx is canceled. A failure is logged and tried again at the next tick.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		if _, err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.opts.Logger.Error("writing scheduled reports failed", "dir", r.opts.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick writes every report that is due and returns the paths it wrote. A
// report is due for the latest period of its kind (see Schedule.Due) unless
// Dir holds its file in every format; formats missing, say after a crash,
// are written then. Its mail is sent after its files are written, and not
// again if sending fails.
func (r *Runner) Tick(ctx context.Context) ([]string, error) {
	if err := os.MkdirAll(r.opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the report directory: %w", err)
	}
	written := map[Kind]map[string][]Format{}
	entries, err := os.ReadDir(r.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("reading the report directory: %w", err)
	}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		k := Kind(m[1])
		if written[k] == nil {
			written[k] = map[string][]Format{}
		}
		written[k][m[2]] = append(written[k][m[2]], Format(m[3]))
	}
	now := r.opts.Now()
	var paths []string
	var errs []error
	for _, k := range r.opts.Every {
		s := Schedule{Kind: k, Location: r.opts.Location, Delay: r.opts.Delay}
		from, to, ok := s.Due(r.last(written[k]), now)
		if !ok {
			continue
		}
		p, err := r.write(ctx, k, from, to, now, written[k][from.In(r.opts.Location).Format(time.DateOnly)])
		paths = append(paths, p...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s report for %s: %w", k, from.In(r.opts.Location).Format(time.DateOnly), err))
		}
	}
	return paths, errors.Join(errs...)
}

var fileName = regexp.MustCompile(`^crmguard-(daily|weekly|monthly)-(\d{4}-\d{2}-\d{2})\.(html|md|csv|json)$`)

// FileName is the name of a scheduled report's file.
func FileName(k Kind, from time.Time, loc *time.Location, f Format) string {
	return fmt.Sprintf("crmguard-%s-%s.%s", k, from.In(loc).Format(time.DateOnly), f)
}

// last returns the start of the newest period whose report is in Dir in
// every format, zero if there is none.
func (r *Runner) last(dates map[string][]Format) time.Time {
	var last time.Time
	for date, have := range dates {
		complete := true
		for _, f := range r.opts.Formats {
			complete = complete && slices.Contains(have, f)
		}
		t, err := time.ParseInLocation(time.DateOnly, date, r.opts.Location)
		if err != nil || !complete {
			continue
		}
		if t.After(last) {
			last = t
		}
	}
	return last
}

func (r *Runner) write(ctx context.Context, k Kind, from, to, now time.Time, have []Format) ([]string, error) {
	rep, err := build(ctx, r.src, from, to, now)
	if err != nil {
		return nil, err
	}
	rep.Timezone = r.opts.Location.String()
	var (
		paths []string
		files []Attachment
	)
	for _, f := range r.opts.Formats {
		if slices.Contains(have, f) {
			continue
		}
		var buf bytes.Buffer
		if err := f.Write(&buf, rep); err != nil {
			return paths, err
		}
		name := FileName(k, from, r.opts.Location, f)
		path := filepath.Join(r.opts.Dir, name)
		if err := writeFile(path, buf.Bytes()); err != nil {
			return paths, err
		}
		r.opts.Logger.Info("report written", "kind", string(k), "from", from, "to", to, "path", path)
		paths = append(paths, path)
		files = append(files, Attachment{Name: name, ContentType: f.ContentType(), Data: buf.Bytes()})
	}
	if r.opts.Mail == nil || len(files) == 0 {
		return paths, nil
	}
	var body bytes.Buffer
	if err := WriteMarkdown(&body, rep); err != nil {
		return paths, err
	}
	if err := r.opts.Mail(ctx, Subject(k, rep), body.String(), files...); err != nil {
		return paths, fmt.Errorf("mailing: %w", err)
	}
	return paths, nil
}

// Subject is the subject of a report's mail, e.g. "crmguard daily report
// 2026-11-22: 12,345 calls, 98.20% succeeded, 2 alerts".
func Subject(k Kind, r Report) string {
	return fmt.Sprintf("crmguard %s report %s: %s calls, %s succeeded, %d alerts", k,
		r.From.In(r.location()).Format(time.DateOnly), num(r.Total.Calls), pct(r.Total.SuccessRatio, r.Total.Calls), r.FiredAlerts())
}

// writeFile writes data to path through a temporary file in the same
// directory, so that a crash never leaves a partial report the next tick
// would take as written.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".crmguard-report-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
