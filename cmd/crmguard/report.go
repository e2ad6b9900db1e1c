package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/report"
	"github.com/crmguard/crmguard/internal/store"
)

const reportSynopsis = "report [--from T] [--to T] [--format html|md|csv|json] [--out FILE] (--config FILE | --store DSN)"

// reportCmd runs `crmguard report`: it reads the store directly, builds the
// report of a period and writes it. getenv is unused: the store's DSN comes
// from the configuration file or --store.
func reportCmd(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flags("report", reportSynopsis, stderr)
	fromArg := fs.String("from", "", "start of the period: RFC 3339, YYYY-MM-DD, or a duration ago such as 24h (default: --to minus 24h)")
	toArg := fs.String("to", "", "end of the period, excluded: RFC 3339, YYYY-MM-DD, or a duration ago (default: now)")
	format := fs.String("format", "", "html, md, csv or json (default: from --out's extension, else md)")
	out := fs.String("out", "", "write the report to this `file` instead of standard output")
	cfgPath := fs.String("config", "", "read the store's DSN from this configuration `file`")
	dsn := fs.String("store", "", "the store's `DSN`, e.g. sqlite:///var/lib/crmguard/crmguard.db")
	tz := fs.String("timezone", "UTC", "IANA time `zone` for YYYY-MM-DD dates and the times shown, e.g. Europe/Berlin")
	if err := parse(fs, args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("--timezone %q: %w; want an IANA name such as Europe/Berlin or UTC", *tz, err)
	}
	now := time.Now()
	to, err := reportTime(*toArg, now, loc)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if to.IsZero() {
		to = now
	}
	from, err := reportTime(*fromArg, now, loc)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return fmt.Errorf("--from %s is not before --to %s: the period would be empty", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	f, err := reportFormat(*format, *out)
	if err != nil {
		return err
	}
	switch {
	case *cfgPath != "" && *dsn != "":
		return errors.New("give --config or --store, not both")
	case *cfgPath != "":
		cfg, err := config.LoadFile(*cfgPath)
		if err != nil {
			return err
		}
		*dsn = cfg.Store
	case *dsn == "":
		return errors.New("no store to read: give --config crmguard.yaml (its store key) or --store DSN")
	}
	if err := storeExists(*dsn); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := report.Build(ctx, db, from, to)
	if err != nil {
		return err
	}
	r.Timezone = loc.String()
	var buf bytes.Buffer
	if err := f.Write(&buf, r); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Fprintf(stdout, "wrote the %s report of %s – %s to %s\n", f, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), *out)
	return nil
}

// reportTime reads RFC 3339, a date (midnight in loc) or a duration ago;
// empty gives the zero time.
func reportTime(v string, now time.Time, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration means that long ago and must not be negative", v)
		}
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time such as 2026-11-23T10:00:00Z, a date such as 2026-11-23, or a duration ago such as 24h", v)
}

// reportFormat picks the format: --format, else --out's extension, else md.
func reportFormat(format, out string) (report.Format, error) {
	if format != "" {
		f, err := report.ParseFormat(format)
		if err != nil {
			return "", fmt.Errorf("--format: %w", err)
		}
		return f, nil
	}
	if ext := strings.TrimPrefix(filepath.Ext(out), "."); ext != "" {
		if f, err := report.ParseFormat(ext); err == nil {
			return f, nil
		}
	}
	return report.Markdown, nil
}

// storeExists refuses a SQLite file that is not there: opening it would
// create an empty store and report a period without calls.
func storeExists(dsn string) error {
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok || path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store at %s (%w): check the store key of the configuration or --store", path, err)
	}
	return nil
}
