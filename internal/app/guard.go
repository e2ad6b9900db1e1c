package app

import (
	"context"
	"fmt"
	"time"

	"github.com/crmguard/crmguard/internal/config"
	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/gateway"
	"github.com/crmguard/crmguard/internal/lifecycle"
	"github.com/crmguard/crmguard/internal/normalize"
	"github.com/crmguard/crmguard/internal/shape"
)

// guard builds what calls to upstream u are held to from its
// configuration: the version policy, the normalisation rules, the
// contract, and the shape book when learning is on.
func (a *App) guard(u config.Upstream) (gateway.Guard, error) {
	gd := gateway.Guard{MaxBody: int64(u.Contract.MaxBody), Base: u.Contract.Base}
	if u.Versions.Policy != "off" {
		entries, err := u.LifecycleEntries()
		if err != nil {
			return gd, err
		}
		gd.Versions = lifecycle.New(u.Dialect, entries)
		gd.EnforceVersions = u.Versions.Policy == "enforce"
	}
	if len(u.Normalize) > 0 {
		n, err := normalize.Compile(u.NormalizeRules())
		if err != nil {
			return gd, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		gd.Normalize = n
	}
	if u.Contract.Spec != "" {
		spec, err := contract.Load(u.Contract.Spec, contract.Options{Strict: isTrue(u.Contract.Strict)})
		if err != nil {
			return gd, fmt.Errorf("upstream %s: %w", u.Name, err)
		}
		gd.Contract = spec
		switch u.Contract.Requests {
		case "enforce":
			gd.Requests = gateway.ContractEnforce
		case "report":
			gd.Requests = gateway.ContractReport
		}
		gd.Responses = u.Contract.Responses == "report"
	}
	if isTrue(u.Contract.Learn) {
		gd.Learn = a.shapes.book(u.Name)
	}
	return gd, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// shapeBooks holds one shape book per learning upstream.
type shapeBooks map[string]*shape.Book

func (s shapeBooks) book(upstream string) *shape.Book {
	b := s[upstream]
	if b == nil {
		b = &shape.Book{}
		s[upstream] = b
	}
	return b
}

// storeShapes stores what the shape books learned every rollup interval,
// and once more when ctx ends.
func (a *App) storeShapes(ctx context.Context) {
	if len(a.shapes) == 0 {
		return
	}
	tick := time.NewTicker(time.Duration(a.cfg.Recording.RollupInterval))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			a.flushShapes(ctx)
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			a.flushShapes(final)
			cancel()
			return
		}
	}
}

// flushShapes merges each book's increment into the store. An increment
// the store refuses is lost, and logged: shapes are statistics, and the
// traffic that follows teaches the same.
func (a *App) flushShapes(ctx context.Context) {
	for name, b := range a.shapes {
		if err := a.Store.MergeShapes(ctx, name, b.Take()); err != nil {
			a.log.Warn("storing learned shapes failed", "upstream", name, "err", err)
		}
	}
}

// learnedShapes serves the admin API: this replica's latest observations
// are stored first, so a draft made right after traffic includes it.
func (a *App) learnedShapes(ctx context.Context, upstream string) ([]*shape.Operation, error) {
	a.flushShapes(ctx)
	return a.Store.Shapes(ctx, upstream)
}
