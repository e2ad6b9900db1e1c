package upstream

import (
	"context"

	"github.com/crmguard/crmguard/internal/quota"
)

type backgroundKey struct{}

// WithBackground marks the requests sent with ctx as background traffic:
// queue replays and probes, which nobody is waiting for. The Transport
// holds them back while the CRM's quota is below the reserve kept for
// interactive calls, answering with a *QuotaError as for an exhausted
// quota.
func WithBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// isBackground reports whether ctx carries WithBackground's mark.
func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}

// newGate returns the quota gate o asks for.
func newGate(o Options) *quota.Gate {
	g := quota.NewGate(o.QuotaPause, o.Now)
	g.SetReserve(o.QuotaReserve)
	return g
}
