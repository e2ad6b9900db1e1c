package dialect

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownDialect is returned by Lookup for a name no dialect has.
var ErrUnknownDialect = errors.New("unknown dialect")

// all returns every dialect, in the order Names lists them.
func all() []Dialect {
	return []Dialect{
		Salesforce{}, HubSpot{}, Dynamics{}, Zoho{}, SuiteCRM{},
		Odoo{}, Pipedrive{}, Fxiaoke{}, Generic{},
	}
}

// Names returns the configuration names of all dialects: salesforce,
// hubspot, dynamics, zoho, suitecrm, odoo, pipedrive, fxiaoke, generic.
// The slice is the caller's to keep.
func Names() []string {
	ds := all()
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name()
	}
	return names
}

// Lookup returns the dialect configured as name. Names are exact and lower
// case; an unknown name gives an error wrapping ErrUnknownDialect that lists
// the known ones.
func Lookup(name string) (Dialect, error) {
	for _, d := range all() {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownDialect, name, strings.Join(Names(), ", "))
}
