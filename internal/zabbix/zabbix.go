// Package zabbix connects crmguard to Zabbix: it pushes figures to a Zabbix
// server or proxy with the sender (trapper) protocol that zabbix_sender
// speaks, and writes the Zabbix template whose items receive those figures
// and poll crmguard's admin API.
package zabbix

import "time"

// Item is one value for one Zabbix item, as zabbix_sender sends it.
type Item struct {
	// Host is the technical name of the host in Zabbix ("Host name", not
	// its visible name); it must match exactly, case included.
	Host string
	// Key is the item's key, such as crmguard.calls[sf]. The host must
	// have a Zabbix trapper item with this key.
	Key string
	// Value is the value as text, as Zabbix expects it: a number for
	// numeric items.
	Value string
	// Clock is when the value was measured; the zero time lets the
	// server use the time it received the value.
	Clock time.Time
}
