package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/zabbix"
)

const zabbixUsage = `Usage: crmguard zabbix COMMAND [OPTIONS]

Monitor crmguard with Zabbix.

Commands:
  template (--config FILE | --upstream NAME...) [--admin URL] [--out FILE]
      Write the Zabbix template for crmguard (YAML in the Zabbix 6.0 format,
      which 6.0 and later import): HTTP agent items that poll the admin API,
      with upstream discovery and triggers, and a Zabbix trapper item for each
      value crmguard zabbix send pushes. The upstreams are those of crmguard's
      configuration FILE, or those named by --upstream, repeated. --admin
      (default $CRMGUARD_ADMIN_URL, else http://127.0.0.1:8081) is the default
      of the macro {$CRMGUARD.ADMIN.URL}. The template goes to stdout, or to
      FILE with --out. Import it in Zabbix, link it to crmguard's host and set
      the secret macro {$CRMGUARD.ADMIN.TOKEN} there; write it again when the
      upstreams change.
  send --server HOST:PORT --host NAME [--since D]
      Read crmguard's current figures from the admin API and push them once to
      the trapper of a Zabbix server or proxy (port 10051 if left out), as
      zabbix_sender would: per upstream the calls, error rate and latency p95
      of the last D (default 5m) and whether a circuit breaker is open; the
      write queue's depth, oldest age and dead letters; the alerts firing.
      NAME is the technical name of crmguard's host in Zabbix, which must
      have the template's trapper items. Prints each value and Zabbix's
      answer; fails (exit 1) when Zabbix refuses any value.
      Talks to the admin API: --admin URL, --token-env NAME, --timeout D as
      for crmguard queue; --timeout also bounds the exchange with Zabbix.

Exit status: 0 done, 1 the operation failed or Zabbix refused values, 2 usage
error.
`

// zabbixCmd runs crmguard zabbix COMMAND. getenv reads the environment:
// the admin URL's default and the token.
func zabbixCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, zabbixUsage)
		return errUsage
	}
	q := adminRun{group: "zabbix", getenv: getenv, stdout: stdout, stderr: stderr}
	switch cmd, args := args[0], args[1:]; cmd {
	case "template":
		return q.zabbixTemplate(args)
	case "send":
		return q.zabbixSend(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, zabbixUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "crmguard zabbix: unknown command %q\n\n%s", cmd, zabbixUsage)
		return errUsage
	}
}

func (q adminRun) zabbixTemplate(args []string) error {
	fs := flags("zabbix template", "zabbix template (--config FILE | --upstream NAME...) [--admin URL] [--out FILE]", q.stderr)
	configFile := fs.String("config", "", "crmguard's configuration `file`, whose upstreams the template covers")
	var upstreams []string
	fs.Func("upstream", "an upstream's `name`; repeat it for each upstream (instead of --config)", func(s string) error {
		upstreams = append(upstreams, s)
		return nil
	})
	admin := q.getenv("CRMGUARD_ADMIN_URL")
	if admin == "" {
		admin = zabbix.DefaultAdminURL
	}
	fs.StringVar(&admin, "admin", admin, "admin API `URL` as Zabbix reaches it: the default of {$CRMGUARD.ADMIN.URL}")
	out := fs.String("out", "", "write the template to this `file` instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *configFile != "" && len(upstreams) > 0:
		return q.usage("template", "--config and --upstream both name the upstreams; give one of them")
	case *configFile == "" && len(upstreams) == 0:
		return q.usage("template", "name the upstreams the template covers: --config crmguard.yaml, or --upstream NAME for each")
	case *configFile != "":
		cfg, err := config.LoadFile(*configFile)
		if err != nil {
			return err
		}
		for _, u := range cfg.Upstreams {
			upstreams = append(upstreams, u.Name)
		}
	}
	b, err := zabbix.Template(zabbix.TemplateOptions{Upstreams: upstreams, AdminURL: admin})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := q.stdout.Write(b)
		return err
	}
	// The template holds no secret: the token macro is empty.
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fmt.Errorf("writing the template: %w", err)
	}
	fmt.Fprintf(q.stdout, "wrote %s: template crmguard for %d %s (%s); import it in Zabbix and link it to crmguard's host\n",
		*out, len(upstreams), plural(len(upstreams), "upstream", "upstreams"), strings.Join(upstreams, ", "))
	return nil
}

func (q adminRun) zabbixSend(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("send", "send --server HOST:PORT --host NAME [--since D]")
	server := fs.String("server", "", "`address` of the Zabbix server's or proxy's trapper, host:port (port 10051 if left out)")
	host := fs.String("host", "", "technical `name` of crmguard's host in Zabbix")
	since := fs.Duration("since", 5*time.Minute, "the upstream figures cover this `window`, up to now")
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return q.usage("send", "unexpected argument %q", rest[0])
	case strings.TrimSpace(*server) == "":
		return q.usage("send", "--server is required: the Zabbix server or proxy, e.g. --server zabbix.internal:10051")
	case strings.TrimSpace(*host) == "":
		return q.usage("send", "--host is required: the technical name of crmguard's host in Zabbix (Host name, not Visible name)")
	case *since <= 0:
		return q.usage("send", "--since must be positive, e.g. 5m")
	}
	c, err := q.client("send", conn)
	if err != nil {
		return err
	}
	f, skip, err := zabbixFigures(ctx, c, *since)
	if err != nil {
		return err
	}
	for _, s := range skip {
		fmt.Fprintf(q.stderr, "crmguard zabbix send: not sending %s: %s\n", strings.Join(s.keys, ", "), s.why)
	}
	var items []zabbix.Item
	for _, it := range zabbix.Items(*host, time.Now(), f) {
		if !slices.ContainsFunc(skip, func(s zabbixSkip) bool { return slices.Contains(s.keys, it.Key) }) {
			items = append(items, it)
		}
	}
	resp, err := zabbix.Sender{Addr: *server, Timeout: conn.timeout}.Send(ctx, items)
	var failed *zabbix.FailedError
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	tw := tabwriter.NewWriter(q.stdout, 0, 0, 2, ' ', 0)
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\n", it.Key, it.Value)
	}
	tw.Flush()
	fmt.Fprintf(q.stdout, "zabbix %s, host %q: %s\n", *server, *host, clean(resp.Info))
	return err // a *zabbix.FailedError says what to fix
}

// zabbixSkip is a group of keys send leaves out, and why.
type zabbixSkip struct {
	keys []string
	why  string
}

// zabbixFigures reads the figures send pushes from the admin API. The
// upstreams are those crmguard has configured, whether or not they had
// calls in the window. A crmguard without a write queue, or whose admin
// API has no alerts, has no such figures: their keys are returned to be
// skipped rather than sent as zeros that would look like good news.
func zabbixFigures(ctx context.Context, c *adminClient, since time.Duration) (zabbix.Figures, []zabbixSkip, error) {
	var f zabbix.Figures
	var skip []zabbixSkip

	var ups struct {
		Upstreams []struct {
			Name      string `json:"name"`
			Endpoints []struct {
				Breaker string `json:"breaker"`
			} `json:"endpoints"`
		} `json:"upstreams"`
	}
	if err := c.call(ctx, "GET", "/api/v1/upstreams", nil, &ups); err != nil {
		return f, nil, fmt.Errorf("reading the upstreams: %w", err)
	}
	var stats struct {
		Upstreams []struct {
			Upstream  string  `json:"upstream"`
			Calls     int64   `json:"calls"`
			ErrorRate float64 `json:"error_rate"`
			LatencyMS struct {
				P95 float64 `json:"p95"`
			} `json:"latency_ms"`
		} `json:"upstreams"`
	}
	if err := c.call(ctx, "GET", "/api/v1/stats?since="+url.QueryEscape(since.String()), nil, &stats); err != nil {
		return f, nil, fmt.Errorf("reading the stats: %w", err)
	}
	for _, u := range ups.Upstreams {
		uf := zabbix.UpstreamFigures{Name: u.Name}
		for _, e := range u.Endpoints {
			uf.BreakerOpen = uf.BreakerOpen || e.Breaker == "open"
		}
		// An upstream without calls in the window is not in the stats.
		for _, s := range stats.Upstreams {
			if s.Upstream == u.Name {
				uf.Calls, uf.ErrorRate = s.Calls, s.ErrorRate
				uf.P95 = time.Duration(math.Round(s.LatencyMS.P95 * float64(time.Millisecond)))
			}
		}
		f.Upstreams = append(f.Upstreams, uf)
	}

	var queue struct {
		Depth            int64   `json:"depth"`
		Dead             int64   `json:"dead"`
		OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	}
	switch err := c.call(ctx, "GET", "/api/v1/queue/stats", nil, &queue); {
	case notFound(err):
		skip = append(skip, zabbixSkip{
			keys: []string{zabbix.KeyQueueDepth, zabbix.KeyQueueOldestAge, zabbix.KeyQueueDead},
			why:  "this crmguard has no write queue (" + clean(err.Error()) + ")",
		})
	case err != nil:
		return f, nil, fmt.Errorf("reading the queue's stats: %w", err)
	default:
		f.QueueDepth, f.QueueDead = queue.Depth, queue.Dead
		f.QueueOldestAge = time.Duration(math.Round(queue.OldestAgeSeconds * float64(time.Second)))
	}

	var alerts struct {
		Alerts []json.RawMessage `json:"alerts"`
	}
	switch err := c.call(ctx, "GET", "/api/v1/alerts?state=firing", nil, &alerts); {
	case notFound(err):
		skip = append(skip, zabbixSkip{
			keys: []string{zabbix.KeyAlertsFiring},
			why:  "this crmguard's admin API has no alerts (" + clean(err.Error()) + ")",
		})
	case err != nil:
		return f, nil, fmt.Errorf("reading the firing alerts: %w", err)
	default:
		f.AlertsFiring = len(alerts.Alerts)
	}
	return f, skip, nil
}

// notFound reports whether err is the admin API's 404: a feature this
// crmguard does not have or has not configured.
func notFound(err error) bool {
	var api *apiError
	return errors.As(err, &api) && api.Status == http.StatusNotFound
}
