// Command crmguard guards, explains and records the calls integrations make
// to CRM APIs. See README.md; `crmguard help` lists the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/crmguard/crmguard/internal/app"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/demo"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `crmguard stands between your integrations and your CRM's API: it classifies
every call's failure cause, records it, and explains what to do.

Usage:
  crmguard serve --config FILE     run the gateway and admin API
  crmguard demo [--duration D]     run the gateway in front of a sample CRM with injected faults
  crmguard validate --config FILE  check a configuration file and exit
  crmguard queue list|show|replay|drop
                                   operate the write queue through the admin API
  crmguard contract check|diff|learn
                                   check a CRM's OpenAPI contract, compare two versions,
                                   or draft one from recorded traffic
  crmguard alerts list|show|history|ack|silence|silences|expire|notifications
                                   see and handle alerts through the admin API
  crmguard rules prometheus --config FILE
                                   write the alert rules as a Prometheus rule file
  crmguard check --metric M [-w RANGE] [-c RANGE]
                                   a Nagios/Icinga plugin over the admin API
  crmguard zabbix template|send    write a Zabbix template, or push figures once
  crmguard report [--from T] [--to T] [--format html|md|csv|json] [--out FILE] (--config FILE | --store DSN)
                                   write the report of a period
  crmguard version                 print the version

Run 'crmguard COMMAND --help' for a command's options.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	if cmd == "check" {
		// A monitoring plugin's exit code is its status (0 OK … 3
		// UNKNOWN), not crmguard's success or failure.
		return checkCmd(ctx, args, os.Getenv, stdout, stderr)
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr)
	case "demo":
		err = runDemo(ctx, args, stdout, stderr)
	case "validate":
		err = validate(args, stdout, stderr)
	case "queue":
		err = queueCmd(ctx, args, os.Getenv, stdout, stderr)
	case "contract":
		err = contractCmd(ctx, args, os.Getenv, stdout, stderr)
	case "alerts":
		err = alertsCmd(ctx, args, os.Getenv, stdout, stderr)
	case "rules":
		err = rulesCmd(args, stdout, stderr)
	case "zabbix":
		err = zabbixCmd(ctx, args, os.Getenv, stdout, stderr)
	case "report":
		err = reportCmd(ctx, args, os.Getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "crmguard", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "crmguard: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFound):
		return 1 // the command's output says what it found
	}
	fmt.Fprintln(stderr, "crmguard:", err)
	return 1
}

var errUsage = errors.New("usage")

// flags returns a FlagSet for a subcommand that prints its errors and help
// to stderr.
func flags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: crmguard %s\n\nOptions:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flags("serve", "serve --config FILE", stderr)
	path := fs.String("config", "crmguard.yaml", "configuration `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

func validate(args []string, stdout, stderr io.Writer) error {
	fs := flags("validate", "validate --config FILE", stderr)
	path := fs.String("config", "crmguard.yaml", "configuration `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid; %d upstream(s), store %s\n", *path, len(cfg.Upstreams), redactDSN(cfg.Store))
	return nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("demo", "demo [--duration D] [options]", stderr)
	var opts demo.Options
	fs.DurationVar(&opts.Duration, "duration", 0, "stop by itself after this long, e.g. 20s (0 runs until interrupted)")
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:0", "gateway `address`")
	fs.StringVar(&opts.AdminListen, "admin-listen", "127.0.0.1:0", "admin API `address`")
	fs.StringVar(&opts.Store, "store", "", "store `DSN`; default a SQLite file in a temporary directory")
	fs.IntVar(&opts.Rate, "rate", 40, "calls per second the traffic generator sends")
	if err := parse(fs, args); err != nil {
		return err
	}
	if opts.Duration < 0 {
		fmt.Fprintln(stderr, "--duration must not be negative")
		return errUsage
	}
	opts.Out = stdout
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return demo.Run(ctx, opts)
}

func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return slog.New(slog.NewTextHandler(w, hopts)), nil
}

// redactDSN hides the password of a postgres:// DSN for printing.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return dsn
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":***" + rest[at:]
}
