package app

import "github.com/crmguard/crmguard/internal/dialect"

// dialectFor returns the dialect an upstream's configuration names.
// Adding a CRM dialect means a new file in internal/dialect and its name in
// dialect.Lookup's registry and config's list of names.
func dialectFor(name string) (dialect.Dialect, error) {
	return dialect.Lookup(name)
}
