// Package app builds crmguard from its configuration and runs it: it is the
// only package that knows every component, wires them together, and owns
// their start and orderly stop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/crmguard/crmguard/internal/admin"
	"github.com/crmguard/crmguard/internal/breaker"
	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/credential"
	"github.com/crmguard/crmguard/internal/ecslog"
	"github.com/crmguard/crmguard/internal/gateway"
	"github.com/crmguard/crmguard/internal/janitor"
	"github.com/crmguard/crmguard/internal/outbox"
	"github.com/crmguard/crmguard/internal/recorder"
	"github.com/crmguard/crmguard/internal/redact"
	"github.com/crmguard/crmguard/internal/retry"
	"github.com/crmguard/crmguard/internal/store"
	"github.com/crmguard/crmguard/internal/upstream"
)

// Options are what App needs besides the configuration.
type Options struct {
	Logger *slog.Logger
	// AdminToken is the admin API's bearer token. Empty means: read it from
	// the environment variable the configuration names.
	AdminToken string
	// Getenv looks up environment variables; nil means os.Getenv.
	Getenv func(string) string
}

// App is a configured crmguard: store, recorder, gateway and admin API,
// with their listeners bound.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	Store    *store.DB
	Recorder *recorder.Recorder
	Gateway  *gateway.Gateway
	janitor  *janitor.Janitor
	registry *prometheus.Registry
	alerting *alerting
	ecs      *ecslog.Writer // nil without integrations.ecs_log

	transports []namedTransport
	shapes     shapeBooks
	workers    []*outbox.Worker
	replayIDs  *call.Generator

	gatewayLn, adminLn net.Listener
	gatewaySrv         *http.Server
	adminSrv           *http.Server

	cleanup []func() error // run in reverse order by Close
}

// minTokenLen is the shortest admin token accepted: shorter ones can be
// guessed.
const minTokenLen = 16

// New builds every component from cfg and binds both listeners, so their
// addresses are known (a port of 0 picks a free one) before Run. On error
// everything already opened is closed again.
func New(ctx context.Context, cfg *config.Config, opts Options) (a *App, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	token := opts.AdminToken
	if token == "" {
		token = opts.Getenv(cfg.Admin.TokenEnv)
	}
	if len(token) < minTokenLen {
		return nil, fmt.Errorf("admin token: environment variable %s must hold a secret of at least %d characters (for example: export %s=$(openssl rand -hex 24))",
			cfg.Admin.TokenEnv, minTokenLen, cfg.Admin.TokenEnv)
	}
	a = &App{cfg: cfg, log: opts.Logger, registry: prometheus.NewRegistry(), replayIDs: call.NewGenerator(), shapes: shapeBooks{}}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	a.Store, err = store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	a.push(a.Store.Close)

	var batches recorder.Writer = a.Store
	if l := cfg.Integrations.ECSLog; l.Path != "" {
		if a.ecs, err = ecslog.Open(ecslog.Options{Path: l.Path, MaxSize: int64(l.MaxSize), MaxFiles: l.MaxFiles}); err != nil {
			return nil, fmt.Errorf("integrations.ecs_log: %w", err)
		}
		a.push(a.ecs.Close)
		batches = ecsBatches{Writer: a.Store, a: a}
	}
	rec := cfg.Recording
	a.Recorder = recorder.New(batches, recorder.Options{
		Buffer:         rec.Buffer,
		Batch:          rec.Batch,
		FlushInterval:  time.Duration(rec.FlushInterval),
		RollupInterval: time.Duration(rec.RollupInterval),
		Logger:         a.log.With("component", "recorder"),
		Registerer:     a.registry,
	})
	a.janitor = janitor.New(a.incidentStore(), janitor.Options{
		CallAge:      time.Duration(cfg.Retention.Calls),
		RollupAge:    time.Duration(cfg.Retention.Rollups),
		ResolveAfter: time.Duration(cfg.Incidents.ResolveAfter),
		Queue:        a.Store,
		QueueAge:     time.Duration(cfg.Queue.Keep),
		Logger:       a.log.With("component", "janitor"),
	})

	ups, err := a.upstreams(opts.Getenv)
	if err != nil {
		return nil, err
	}
	sealer, err := a.sealer(opts.Getenv)
	if err != nil {
		return nil, err
	}
	a.Gateway = gateway.New(gateway.Options{
		Upstreams:   ups,
		Recorder:    a.Recorder,
		Redactor:    redact.Redactor{MaskPersonal: rec.MaskPersonal()},
		SampleBytes: int(rec.SampleBytes),
		Logger:      a.log.With("component", "gateway"),
		Registerer:  a.registry,
		Queue:       a.Store,
		Sealer:      sealer,
	})
	a.startQueue(sealer)
	if a.alerting, err = a.newAlerting(opts.Getenv); err != nil {
		return nil, err
	}
	adminHandler := admin.New(admin.Options{
		Token:     token,
		Store:     a.incidentStore(),
		Gatherer:  a.registry,
		Ready:     a.Store.Ping,
		Upstreams: a.upstreamStatus,
		Queue:     a.Store,
		Shapes:    a.learnedShapes,
		Alerts:    a.alertsAPI(),
		Logger:    a.log.With("component", "admin"),
	})

	if a.gatewayLn, err = listen(ctx, "gateway", cfg.Listen); err != nil {
		return nil, err
	}
	a.push(ignoreClosed(a.gatewayLn.Close))
	if a.adminLn, err = listen(ctx, "admin", cfg.Admin.Listen); err != nil {
		return nil, err
	}
	a.push(ignoreClosed(a.adminLn.Close))
	errLog := slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)
	a.gatewaySrv = &http.Server{
		Handler:           a.Gateway,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
	}
	a.adminSrv = &http.Server{
		Handler:           adminHandler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
	}
	return a, nil
}

// upstreams builds the gateway's view of each configured upstream, with
// its dialect and outbound transport (retries, breakers, failover).
func (a *App) upstreams(getenv func(string) string) ([]gateway.Upstream, error) {
	var ups []gateway.Upstream
	metrics := upstream.NewMetrics(a.registry)
	for _, u := range a.cfg.Upstreams {
		d, err := dialectFor(u.Dialect)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		target, err := url.Parse(u.URL)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: url: %w", u.Name, err)
		}
		var failover []*url.URL
		for i, f := range u.Failover {
			fu, err := url.Parse(f)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: failover[%d]: %w", u.Name, i, err)
			}
			failover = append(failover, fu)
		}
		creds, err := credential.New(u.Credentials, getenv, nil)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		header := u.ClientHeader
		if header == "" {
			header = a.cfg.ClientHeader
		}
		tr := upstream.New(d, upstream.Options{
			Name:         u.Name,
			InspectBytes: int64(a.cfg.Recording.InspectBytes),
			URL:          target,
			Failover:     failover,
			Retry: retry.Policy{
				Attempts:   u.Retry.Attempts,
				Backoff:    time.Duration(u.Retry.Backoff),
				MaxBackoff: time.Duration(u.Retry.MaxBackoff),
			},
			Budget: float64(u.Retry.Budget),
			Breaker: breaker.Options{
				FailureRatio: float64(u.Breaker.FailureRatio),
				MinCalls:     u.Breaker.MinCalls,
				Window:       time.Duration(u.Breaker.Window),
				Cooldown:     time.Duration(u.Breaker.Cooldown),
			},
			QuotaPause:   time.Duration(u.Quota.Pause),
			QuotaReserve: float64(u.Quota.Reserve),
			Credentials:  creds,
			Logger:       a.log.With("component", "upstream", "upstream", u.Name),
			Metrics:      metrics,
		})
		a.transports = append(a.transports, namedTransport{name: u.Name, tr: tr, url: target, cfg: u})
		gu := gateway.Upstream{
			Name:         u.Name,
			URL:          target,
			Dialect:      d,
			Timeout:      time.Duration(u.Timeout),
			ClientHeader: header,
			Transport:    tr,
			QueueWrites:  gateway.QueueMode(u.Queue.Writes),
			QueueDelay:   time.Duration(a.cfg.Queue.Backoff),
		}
		if u.Credentials.Kind != "" {
			gu.CredentialHeader = u.Credentials.Header
		}
		if gu.Guard, err = a.guard(u); err != nil {
			return nil, err
		}
		ups = append(ups, gu)
	}
	return ups, nil
}

// namedTransport is an upstream's outbound transport with its primary URL
// and configuration, for the queue's senders and the admin API.
type namedTransport struct {
	name string
	tr   *upstream.Transport
	url  *url.URL
	cfg  config.Upstream
}

// upstreamStatus reports every upstream's endpoints and breakers.
func (a *App) upstreamStatus() []admin.UpstreamStatus {
	out := make([]admin.UpstreamStatus, 0, len(a.transports))
	for _, n := range a.transports {
		s := admin.UpstreamStatus{Name: n.name}
		for _, e := range n.tr.Endpoints() {
			s.Endpoints = append(s.Endpoints, admin.EndpointStatus{URL: e.URL, Breaker: e.Breaker, Since: e.Since})
		}
		out = append(out, s)
	}
	return out
}

func listen(ctx context.Context, what, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener on %s: %w", what, addr, err)
	}
	return ln, nil
}

// GatewayAddr is the address the gateway listens on.
func (a *App) GatewayAddr() string { return a.gatewayLn.Addr().String() }

// AdminAddr is the address the admin API listens on.
func (a *App) AdminAddr() string { return a.adminLn.Addr().String() }

// Run serves until ctx is canceled, then stops in order: the listeners stop
// accepting and in-flight calls finish (up to 30 seconds), then the
// recorder writes what it still holds, then the store closes. It returns
// the first error that stopped a server.
func (a *App) Run(ctx context.Context) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	recDone := make(chan struct{})
	go func() { defer close(recDone); a.Recorder.Run(bg) }()
	wg.Go(func() { a.janitor.Run(bg) })
	wg.Go(func() { a.storeShapes(bg) })

	errc := make(chan error, 2)
	serve := func(name string, srv *http.Server, ln net.Listener) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("%s server: %w", name, err)
		}
	}
	notifyCtx, stopNotify := context.WithCancel(bg)
	notifyDone := make(chan struct{})
	go func() { defer close(notifyDone); a.alerting.dispatcher.Run(notifyCtx) }()
	alertCtx, stopAlerts := context.WithCancel(bg)
	alertsDone := make(chan struct{})
	go func() { defer close(alertsDone); a.alerting.engine.Run(alertCtx) }()
	if a.cfg.Integrations.Zabbix.Server != "" {
		wg.Go(func() { a.pushZabbix(alertCtx) })
	}
	if r := a.alerting.reports; r != nil {
		wg.Go(func() { r.Run(alertCtx) })
	}
	queueCtx, stopQueue := context.WithCancel(bg)
	queueDone := make(chan struct{})
	go func() { defer close(queueDone); a.runQueue(queueCtx) }()
	go serve("gateway", a.gatewaySrv, a.gatewayLn)
	go serve("admin", a.adminSrv, a.adminLn)
	a.log.Info("crmguard serving", "gateway", a.GatewayAddr(), "admin", a.AdminAddr(), "store", a.Store.Backend())

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := a.gatewaySrv.Shutdown(shut); err != nil {
		a.log.Warn("gateway shutdown did not finish in-flight calls", "err", err)
	}
	if err := a.adminSrv.Shutdown(shut); err != nil {
		a.log.Warn("admin shutdown", "err", err)
	}
	// The workers finish the writes they are sending (bounded by the
	// lease) and record them before the recorder stops.
	stopQueue()
	<-queueDone
	// The engine stops first, so that the dispatcher delivers every
	// message it produced before crmguard exits.
	stopAlerts()
	<-alertsDone
	stopNotify()
	<-notifyDone
	stopBG() // the recorder drains and flushes on cancel
	<-recDone
	wg.Wait()
	if err := a.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		a.log.Info("crmguard stopped; every recorded call is stored")
	}
	return runErr
}

// Close releases everything New opened, in reverse order. Run calls it;
// call it yourself only when Run is never called.
func (a *App) Close() error {
	var errs []error
	for i := len(a.cleanup) - 1; i >= 0; i-- {
		errs = append(errs, a.cleanup[i]())
	}
	a.cleanup = nil
	return errors.Join(errs...)
}

func (a *App) push(f func() error) { a.cleanup = append(a.cleanup, f) }

func ignoreClosed(f func() error) func() error {
	return func() error {
		if err := f(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	}
}
