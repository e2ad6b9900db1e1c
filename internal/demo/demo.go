// Package demo runs `crmguard demo`: the real gateway, on the embedded
// store, in front of the sample CRM with its fault schedule, fed by a
// traffic generator, with a live terminal view of what crmguard sees.
package demo

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/crmguard/crmguard/internal/app"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/democrm"
)

// suiteContract is the contract of the sample CRM's SuiteCRM record reads,
// with response schemas, so the demo shows contract drift when the sample
// CRM changes its answers' structure.
//
//go:embed suitecrm-records.yaml
var suiteContract []byte

// Options configure a demo run.
type Options struct {
	// Duration stops the demo by itself; 0 runs until ctx is canceled.
	Duration    time.Duration
	Listen      string // gateway address; default 127.0.0.1:0
	AdminListen string // admin address; default 127.0.0.1:0
	Store       string // store DSN; default a SQLite file in a temporary directory
	Rate        int    // calls per second; default 40
	Out         io.Writer
	Logger      *slog.Logger
}

// gatewayTimeout is the demo upstreams' deadline; the sample CRM's stalls
// last longer so they surface as timeouts.
const gatewayTimeout = 2 * time.Second

// clientHeader identifies the demo's simulated integrations.
const clientHeader = "X-Client-Id"

// Run runs the demo until its duration has passed or ctx is canceled, then
// prints the summary. It fails only if the demo could not start.
func Run(ctx context.Context, o Options) error {
	if o.Rate <= 0 {
		o.Rate = 40
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.AdminListen == "" {
		o.AdminListen = "127.0.0.1:0"
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}

	crm := democrm.New(democrm.Options{
		Schedule: democrm.DemoSchedule(),
		Seed:     1,
		StallFor: 3 * gatewayTimeout,
		Logger:   o.Logger.With("component", "democrm"),
	})
	crmURL, stopCRM, err := serveCRM(crm)
	if err != nil {
		return err
	}
	defer stopCRM()

	dir, err := os.MkdirTemp("", "crmguard-demo-")
	if err != nil {
		return fmt.Errorf("making a directory for the demo: %w", err)
	}
	defer os.RemoveAll(dir)
	if o.Store == "" {
		o.Store = "sqlite://" + filepath.Join(dir, "crmguard.db")
	}
	spec := filepath.Join(dir, "suitecrm-records.yaml")
	if err := os.WriteFile(spec, suiteContract, 0o600); err != nil {
		return fmt.Errorf("writing the demo's SuiteCRM contract: %w", err)
	}
	suite := config.Upstream{Name: "suite", URL: crmURL + "/suitecrm", Dialect: "suitecrm", Timeout: config.Duration(gatewayTimeout),
		Contract: config.Contract{Spec: spec, Base: "/Api/V8", Requests: "off", Responses: "report"},
		Normalize: []config.NormalizeRule{
			{Field: "data.attributes.phone_work", As: "phone", Region: "US"},
			{Field: "data.attributes.phone_mobile", As: "phone", Region: "US"},
			{Field: "data.attributes.email1", As: "email"},
		},
	}
	cfg := config.New(
		config.Upstream{Name: "sf", URL: crmURL + "/salesforce", Dialect: "salesforce", Timeout: config.Duration(gatewayTimeout)},
		config.Upstream{Name: "hubspot", URL: crmURL + "/hubspot", Dialect: "hubspot", Timeout: config.Duration(gatewayTimeout)},
		config.Upstream{Name: "odoo", URL: crmURL + "/odoo", Dialect: "odoo", Timeout: config.Duration(gatewayTimeout)},
		suite,
	)
	cfg.Listen, cfg.Admin.Listen, cfg.Store, cfg.ClientHeader = o.Listen, o.AdminListen, o.Store, clientHeader
	for i := range cfg.Upstreams {
		// The demo's quota phase lasts two seconds; a minute's pause
		// would silence an upstream for most of a short run.
		cfg.Upstreams[i].Quota.Pause = config.Duration(3 * time.Second)
	}
	cfg.Recording.FlushInterval = config.Duration(200 * time.Millisecond)
	cfg.Recording.RollupInterval = config.Duration(time.Second)
	cfg.Alerts.EvaluateEvery = config.Duration(time.Second)
	cfg.Alerts.Rules = demoRules()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	token := randomToken()
	// The demo's store is thrown away at the end, and so is the key that
	// encrypts the credentials of its queued writes.
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	queueKey := hex.EncodeToString(key)
	env := func(k string) string {
		if k == cfg.Queue.KeyEnv {
			return queueKey
		}
		return os.Getenv(k)
	}
	a, err := app.New(ctx, cfg, app.Options{AdminToken: token, Logger: o.Logger, Getenv: env})
	if err != nil {
		return err
	}
	appCtx, stopApp := context.WithCancel(context.WithoutCancel(ctx))
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(appCtx) }()

	gw := "http://" + a.GatewayAddr()
	v := newView(o.Out, a.Store, crm, time.Now())
	v.banner(gw, "http://"+a.AdminAddr(), token, o.Duration)

	t := newTraffic(gw, crm, o.Rate)
	trafficDone := make(chan struct{})
	go func() { t.run(ctx); close(trafficDone) }()
	v.live(ctx, t)
	<-trafficDone // in-flight calls have finished

	syncCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Recorder.Sync(syncCtx); err != nil {
		o.Logger.Warn("not every call was recorded before the summary", "err", err)
	}
	v.summary(syncCtx, t)
	stopApp()
	if err := <-appDone; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// demoRules are alert rules the sample CRM's fault phases set off, so
// the demo shows alerts firing and resolving (docs/alerting.md).
func demoRules() []config.AlertRule {
	rule := func(name, severity string, forDur time.Duration, when config.AlertCondition) config.AlertRule {
		r := config.AlertRule{Name: name, Severity: severity, For: config.Duration(forDur), When: when}
		r.When.Upstream = "*"
		r.SendResolved = new(true)
		if r.When.RateOver > 0 {
			r.When.MinCalls = 10
		}
		return r
	}
	return []config.AlertRule{
		rule("crm-failing", "critical", 5*time.Second, config.AlertCondition{Class: "failed", RateOver: config.Duration(time.Minute), Above: "40%"}),
		rule("auth-failures", "warning", 0, config.AlertCondition{Class: "auth", RateOver: config.Duration(time.Minute), Above: "5%"}),
		rule("breaker-open", "critical", 0, config.AlertCondition{Breaker: "open"}),
	}
}

// serveCRM serves the sample CRM on a free loopback port.
func serveCRM(crm *democrm.Server) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sample CRM listener: %w", err)
	}
	srv := &http.Server{Handler: crm, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
