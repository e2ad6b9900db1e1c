package zabbix

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultAdminURL is the default of the template's macro
// {$CRMGUARD.ADMIN.URL}: crmguard's default admin.listen.
const DefaultAdminURL = "http://127.0.0.1:8081"

// TemplateOptions say what Template writes.
type TemplateOptions struct {
	// Upstreams are the names of crmguard's configured upstreams, as in
	// its configuration file; each gets its own trapper items. Names
	// follow crmguard's rule: 1 to 63 letters, digits, - and _, starting
	// with a letter or digit. None leaves only the queue and alert
	// trapper items.
	Upstreams []string
	// AdminURL is the default value of {$CRMGUARD.ADMIN.URL}, the admin
	// API the HTTP agent items poll; empty means DefaultAdminURL.
	// Operators usually override the macro on the host.
	AdminURL string
}

// The template's fixed parts: names other tools and the operator see.
const (
	templateName = "crmguard"
	// templateGroup is the group Zabbix's own application templates use;
	// groupUUID is the UUID Zabbix gives it, so that an import maps
	// onto the existing group instead of a different one of that name.
	templateGroup = "Templates/Applications"
	groupUUID     = "a571c0d144b14fd4a87a9d9b2aa9fcd6"

	macroAdminURL     = "{$CRMGUARD.ADMIN.URL}"
	macroAdminToken   = "{$CRMGUARD.ADMIN.TOKEN}"
	macroErrorRateMax = "{$CRMGUARD.ERROR_RATE.MAX}"
	macroQueueAgeMax  = "{$CRMGUARD.QUEUE.AGE.MAX}"
	lldUpstream       = "{#UPSTREAM}"

	// statsWindow is the period the polled upstream figures cover, the
	// same as crmguard zabbix send's default.
	statsWindow = "5m"

	keyAPIStats     = "crmguard.api.stats"
	keyAPIUpstreams = "crmguard.api.upstreams"
	keyAPIQueue     = "crmguard.api.queue"
	keyDiscovery    = "crmguard.api.upstreams.discovery"
)

// upstreamName is crmguard's rule for upstream names (config.Upstream.Name).
var upstreamName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// Template returns a Zabbix template export in YAML, format 6.0, which
// Zabbix 6.0 and every later version import. It holds the template
// crmguard (group Templates/Applications) with:
//
//   - HTTP agent items polling the admin API at {$CRMGUARD.ADMIN.URL}
//     with the bearer token {$CRMGUARD.ADMIN.TOKEN} (a secret macro to set
//     on the host): the queue's depth, oldest age and dead letters, the
//     alerts firing, and a discovery rule that finds the upstreams with
//     calls and reads each one's calls, error rate, latency p95 and
//     circuit breaker, with triggers on the error rate, the breaker and
//     the queue's age;
//   - a Zabbix trapper item for every key in Keys(o.Upstreams), which
//     crmguard zabbix send and crmguard's pusher fill.
//
// Every entity's UUID is derived from its key, so writing the template
// again gives the same UUIDs and a re-import updates rather than
// duplicates. It returns an error for an upstream name crmguard would
// not accept, a repeated one, or an AdminURL that is not an http or
// https URL.
func Template(o TemplateOptions) ([]byte, error) {
	seen := map[string]bool{}
	for _, u := range o.Upstreams {
		switch {
		case !upstreamName.MatchString(u):
			return nil, fmt.Errorf("zabbix template: upstream name %q is not one crmguard accepts: use the names in crmguard's configuration (1 to 63 letters, digits, - or _, starting with a letter or digit)", u)
		case seen[u]:
			return nil, fmt.Errorf("zabbix template: upstream %q is named twice", u)
		}
		seen[u] = true
	}
	admin := o.AdminURL
	if admin == "" {
		admin = DefaultAdminURL
	}
	if u, err := url.Parse(admin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("zabbix template: admin URL %q is not an http or https URL such as %s", admin, DefaultAdminURL)
	}
	admin = strings.TrimRight(admin, "/") // the items append /api/v1/…

	t := template{
		UUID:           entityUUID("template"),
		Template:       templateName,
		Name:           templateName,
		Description:    templateDescription(o.Upstreams),
		Groups:         []group{{Name: templateGroup}},
		Items:          append(polledItems(), trapperItems(o.Upstreams)...),
		DiscoveryRules: []discoveryRule{upstreamDiscovery()},
		Tags:           []tag{{Tag: "class", Value: "software"}, {Tag: "target", Value: "crmguard"}},
		Macros: []macro{
			{Macro: macroAdminURL, Value: admin, Description: "Base URL of crmguard's admin API (admin.listen), as Zabbix reaches it."},
			{Macro: macroAdminToken, Type: "SECRET_TEXT", Description: "crmguard's admin token: the value of the environment variable named by admin.token_env. Set it on the host."},
			{Macro: macroErrorRateMax, Value: "0.05", Description: `Highest error rate (0 to 1) of an upstream's calls over 5 minutes before a problem; set it per upstream with context, e.g. {$CRMGUARD.ERROR_RATE.MAX:"sf"}.`},
			{Macro: macroQueueAgeMax, Value: "600", Description: "Longest, in seconds, the oldest write may wait in the queue before a problem."},
		},
	}
	doc := export{ZabbixExport: exportBody{
		Version:   "6.0",
		Groups:    []group{{UUID: groupUUID, Name: templateGroup}},
		Templates: []template{t},
	}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("zabbix template: encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("zabbix template: encoding YAML: %w", err)
	}
	return b.Bytes(), nil
}

func templateDescription(upstreams []string) string {
	covers := "no upstreams (only the queue and alert trapper items)"
	if len(upstreams) > 0 {
		covers = "the upstreams " + strings.Join(upstreams, ", ")
	}
	return "crmguard, the CRM API gateway. Written by crmguard zabbix template for " + covers + ".\n\n" +
		"Pull: the HTTP agent items poll crmguard's admin API; set {$CRMGUARD.ADMIN.URL} and the secret " +
		"{$CRMGUARD.ADMIN.TOKEN} on the host. The triggers watch these items.\n\n" +
		"Push: the Zabbix trapper items (names ending in \"pushed\") receive what crmguard zabbix send " +
		"and crmguard's pusher send; the host's technical name must be the one they send for. " +
		"Write the template again when upstreams change.\n\n" +
		"Disable the items of the way you do not use."
}

// authHeader sends the admin token as crmguard's admin API requires.
var authHeader = []nameValue{{Name: "Authorization", Value: "Bearer " + macroAdminToken}}

// polledItems are the HTTP agent items and the items read from them.
func polledItems() []item {
	raw := func(key, name, path string, query []nameValue, desc string) item {
		return item{
			UUID: entityUUID("item/" + key), Name: name, Type: "HTTP_AGENT", Key: key,
			History: "0", Trends: "0", ValueType: "TEXT", Timeout: "10s",
			URL: macroAdminURL + path, QueryFields: query, Headers: authHeader, Description: desc,
			Tags: []tag{{Tag: "component", Value: "raw"}},
		}
	}
	queue := func(key, name, valueType, units, path, desc string) item {
		return item{
			UUID: entityUUID("item/" + key), Name: name, Type: "DEPENDENT", Key: key, Delay: "0",
			ValueType: valueType, Units: units, Description: desc,
			Preprocessing: []step{{Type: "JSONPATH", Parameters: []string{path}}},
			MasterItem:    &masterItem{Key: keyAPIQueue},
			Tags:          []tag{{Tag: "component", Value: "queue"}},
		}
	}
	oldest := queue(keyAPIQueue+".oldest_age", "crmguard: write queue oldest age", "FLOAT", "s", "$.oldest_age_seconds",
		"How long the oldest unfinished write in the queue has waited.")
	oldest.Triggers = []trigger{{
		UUID:        entityUUID("trigger/" + keyAPIQueue + ".oldest_age"),
		Expression:  "last(/" + templateName + "/" + keyAPIQueue + ".oldest_age)>" + macroQueueAgeMax,
		Name:        "crmguard: a write has waited in the queue for more than " + macroQueueAgeMax + "s",
		OpData:      "Oldest: {ITEM.LASTVALUE1}",
		Priority:    "WARNING",
		Description: "The CRM has not accepted a queued write for a long time: see crmguard queue list --state pending and the upstream's error rate.",
		Tags:        []tag{{Tag: "scope", Value: "availability"}},
	}}
	return []item{
		raw(keyAPIStats, "crmguard: admin API stats", "/api/v1/stats", []nameValue{{Name: "since", Value: statsWindow}},
			"GET /api/v1/stats over the last "+statsWindow+"; the upstream items are read from it."),
		raw(keyAPIUpstreams, "crmguard: admin API upstreams", "/api/v1/upstreams", nil,
			"GET /api/v1/upstreams: each upstream's endpoints and circuit breakers."),
		raw(keyAPIQueue, "crmguard: admin API queue stats", "/api/v1/queue/stats", nil,
			"GET /api/v1/queue/stats. Not supported when crmguard runs without a write queue."),
		queue(keyAPIQueue+".depth", "crmguard: write queue depth", "UNSIGNED", "", "$.depth",
			"Writes waiting in the durable write queue: pending and inflight."),
		oldest,
		queue(keyAPIQueue+".dead", "crmguard: write queue dead letters", "UNSIGNED", "", "$.dead",
			"Writes crmguard gave up on; replay or drop them with crmguard queue."),
		{
			UUID: entityUUID("item/crmguard.api.alerts.firing"), Name: "crmguard: alerts firing", Type: "HTTP_AGENT",
			Key: "crmguard.api.alerts.firing", ValueType: "UNSIGNED", Timeout: "10s",
			URL: macroAdminURL + "/api/v1/alerts", QueryFields: []nameValue{{Name: "state", Value: "firing"}}, Headers: authHeader,
			Description:   "Alerts crmguard has firing, from GET /api/v1/alerts?state=firing.",
			Preprocessing: []step{{Type: "JSONPATH", Parameters: []string{"$.alerts.length()"}}},
			Tags:          []tag{{Tag: "component", Value: "alerts"}},
		},
	}
}

// breakerScript returns 1 when any endpoint of the discovered upstream has
// its breaker open. JSONPath cannot test the endpoints inside a filtered
// upstream, so this is JavaScript (ES5, as Zabbix runs it).
const breakerScript = `var ups = JSON.parse(value).upstreams || [];
for (var i = 0; i < ups.length; i++) {
    if (ups[i].name !== '` + lldUpstream + `') continue;
    var eps = ups[i].endpoints || [];
    for (var j = 0; j < eps.length; j++) {
        if (eps[j].breaker === 'open') return 1;
    }
    return 0;
}
throw "upstream ` + lldUpstream + ` is no longer in crmguard's configuration";`

// upstreamDiscovery finds the upstreams in the stats and reads each one's
// figures. An upstream without calls in the window is missing from the
// stats: its calls and error rate then read 0, as the admin API reports
// them for an idle upstream, and its latency keeps its last value.
func upstreamDiscovery() discoveryRule {
	filter := "$.upstreams[?(@.upstream=='" + lldUpstream + "')]"
	proto := func(key, name, valueType, units, desc string, steps ...step) item {
		return item{
			UUID: entityUUID("prototype/" + key), Name: name, Type: "DEPENDENT", Key: key, Delay: "0",
			ValueType: valueType, Units: units, Description: desc, Preprocessing: steps,
			MasterItem: &masterItem{Key: keyAPIStats},
			Tags:       []tag{{Tag: "component", Value: "upstream"}, {Tag: "upstream", Value: lldUpstream}},
		}
	}
	zeroIfIdle := func(path string) step {
		return step{Type: "JSONPATH", Parameters: []string{path}, ErrorHandler: "CUSTOM_VALUE", ErrorHandlerParams: "0"}
	}
	errorRateKey := "crmguard.api.error_rate[" + lldUpstream + "]"
	errorRate := proto(errorRateKey, "crmguard: "+lldUpstream+": error rate", "FLOAT", "",
		"Share of the upstream's calls over the last "+statsWindow+" that failed, from 0 to 1.",
		zeroIfIdle(filter+".error_rate.first()"))
	errorRate.TriggerPrototypes = []trigger{{
		UUID:        entityUUID("trigger/" + errorRateKey),
		Expression:  "last(/" + templateName + "/" + errorRateKey + ")>" + contextMacro(macroErrorRateMax),
		Name:        "crmguard: " + lldUpstream + ": error rate over " + contextMacro(macroErrorRateMax),
		OpData:      "Error rate: {ITEM.LASTVALUE1}",
		Priority:    "WARNING",
		Description: "Many calls to the upstream fail. crmguard's incidents (GET /api/v1/incidents) say why and what to do.",
		Tags:        []tag{{Tag: "scope", Value: "availability"}},
	}}
	breakerKey := "crmguard.api.breaker.open[" + lldUpstream + "]"
	breaker := proto(breakerKey, "crmguard: "+lldUpstream+": circuit breaker open", "UNSIGNED", "",
		"1 when the circuit breaker of any of the upstream's endpoints is open, so that calls to it fail fast; else 0.",
		step{Type: "JAVASCRIPT", Parameters: []string{breakerScript}})
	breaker.MasterItem = &masterItem{Key: keyAPIUpstreams}
	breaker.TriggerPrototypes = []trigger{{
		UUID:        entityUUID("trigger/" + breakerKey),
		Expression:  "last(/" + templateName + "/" + breakerKey + ")=1",
		Name:        "crmguard: " + lldUpstream + ": circuit breaker open",
		Priority:    "AVERAGE",
		Description: "crmguard stopped sending calls to an endpoint of the upstream after repeated failures; GET /api/v1/upstreams shows which.",
		Tags:        []tag{{Tag: "scope", Value: "availability"}},
	}}
	return discoveryRule{
		UUID: entityUUID("discovery/" + keyDiscovery), Name: "crmguard: upstream discovery", Type: "DEPENDENT",
		Key: keyDiscovery, Delay: "0",
		Description:   "Upstreams with calls in the admin API's stats.",
		MasterItem:    &masterItem{Key: keyAPIStats},
		Preprocessing: []step{{Type: "JSONPATH", Parameters: []string{"$.upstreams"}}},
		LLDMacroPaths: []lldMacroPath{{LLDMacro: lldUpstream, Path: "$.upstream"}},
		ItemPrototypes: []item{
			proto("crmguard.api.calls["+lldUpstream+"]", "crmguard: "+lldUpstream+": calls", "UNSIGNED", "",
				"Calls to the upstream over the last "+statsWindow+".", zeroIfIdle(filter+".calls.first()")),
			errorRate,
			proto("crmguard.api.latency.p95["+lldUpstream+"]", "crmguard: "+lldUpstream+": latency p95", "FLOAT", "s",
				"95th percentile of the latency of the upstream's calls over the last "+statsWindow+".",
				step{Type: "JSONPATH", Parameters: []string{filter + ".latency_ms.p95.first()"}, ErrorHandler: "DISCARD_VALUE"},
				step{Type: "MULTIPLIER", Parameters: []string{"0.001"}}),
			breaker,
		},
	}
}

// contextMacro returns the user macro m with the discovered upstream as
// its context, so that operators can set it per upstream.
func contextMacro(m string) string {
	return strings.TrimSuffix(m, "}") + `:"` + lldUpstream + `"}`
}

// trapperItems are the Zabbix trapper items for Keys(upstreams).
func trapperItems(upstreams []string) []item {
	trap := func(key, name string, m metric, tags []tag) item {
		return item{
			UUID: entityUUID("item/" + key), Name: name, Type: "TRAP", Key: key, Delay: "0",
			ValueType: m.valueType, Units: m.units, Description: m.description + " Pushed by crmguard.", Tags: tags,
		}
	}
	var items []item
	for _, u := range upstreams {
		for _, m := range upstreamMetrics {
			items = append(items, trap(itemKey(m.key, u), "crmguard: "+u+": "+m.name+" (pushed)", m,
				[]tag{{Tag: "component", Value: "upstream"}, {Tag: "upstream", Value: u}, {Tag: "source", Value: "push"}}))
		}
	}
	for _, m := range globalMetrics {
		component := "queue"
		if m.key == KeyAlertsFiring {
			component = "alerts"
		}
		items = append(items, trap(m.key, "crmguard: "+m.name+" (pushed)", m,
			[]tag{{Tag: "component", Value: component}, {Tag: "source", Value: "push"}}))
	}
	return items
}

// entityUUID derives the UUID of the entity at path from the path, in
// the form Zabbix requires: 32 hex digits of a version 4 UUID (Zabbix
// rejects other versions with "UUIDv4 is expected"). Deriving it keeps
// it the same each time the template is written.
func entityUUID(path string) string {
	sum := md5.Sum([]byte("crmguard zabbix template/" + path))
	sum[6] = sum[6]&0x0f | 0x40 // version 4
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	return hex.EncodeToString(sum[:])
}

// The export's shape; field names and order follow Zabbix's own exports.
type (
	export struct {
		ZabbixExport exportBody `yaml:"zabbix_export"`
	}
	exportBody struct {
		Version   string     `yaml:"version"`
		Groups    []group    `yaml:"groups"`
		Templates []template `yaml:"templates"`
	}
	group struct {
		UUID string `yaml:"uuid,omitempty"`
		Name string `yaml:"name"`
	}
	template struct {
		UUID           string          `yaml:"uuid"`
		Template       string          `yaml:"template"`
		Name           string          `yaml:"name"`
		Description    string          `yaml:"description"`
		Groups         []group         `yaml:"groups"`
		Items          []item          `yaml:"items"`
		DiscoveryRules []discoveryRule `yaml:"discovery_rules"`
		Tags           []tag           `yaml:"tags"`
		Macros         []macro         `yaml:"macros"`
	}
	item struct {
		UUID              string      `yaml:"uuid"`
		Name              string      `yaml:"name"`
		Type              string      `yaml:"type"`
		Key               string      `yaml:"key"`
		Delay             string      `yaml:"delay,omitempty"`
		History           string      `yaml:"history,omitempty"`
		Trends            string      `yaml:"trends,omitempty"`
		ValueType         string      `yaml:"value_type,omitempty"`
		Units             string      `yaml:"units,omitempty"`
		Description       string      `yaml:"description,omitempty"`
		Timeout           string      `yaml:"timeout,omitempty"`
		URL               string      `yaml:"url,omitempty"`
		QueryFields       []nameValue `yaml:"query_fields,omitempty"`
		Headers           []nameValue `yaml:"headers,omitempty"`
		Preprocessing     []step      `yaml:"preprocessing,omitempty"`
		MasterItem        *masterItem `yaml:"master_item,omitempty"`
		Tags              []tag       `yaml:"tags,omitempty"`
		Triggers          []trigger   `yaml:"triggers,omitempty"`
		TriggerPrototypes []trigger   `yaml:"trigger_prototypes,omitempty"`
	}
	discoveryRule struct {
		UUID           string         `yaml:"uuid"`
		Name           string         `yaml:"name"`
		Type           string         `yaml:"type"`
		Key            string         `yaml:"key"`
		Delay          string         `yaml:"delay,omitempty"`
		Description    string         `yaml:"description,omitempty"`
		ItemPrototypes []item         `yaml:"item_prototypes"`
		MasterItem     *masterItem    `yaml:"master_item,omitempty"`
		LLDMacroPaths  []lldMacroPath `yaml:"lld_macro_paths"`
		Preprocessing  []step         `yaml:"preprocessing,omitempty"`
	}
	masterItem struct {
		Key string `yaml:"key"`
	}
	lldMacroPath struct {
		LLDMacro string `yaml:"lld_macro"`
		Path     string `yaml:"path"`
	}
	step struct {
		Type               string   `yaml:"type"`
		Parameters         []string `yaml:"parameters"`
		ErrorHandler       string   `yaml:"error_handler,omitempty"`
		ErrorHandlerParams string   `yaml:"error_handler_params,omitempty"`
	}
	trigger struct {
		UUID        string `yaml:"uuid"`
		Expression  string `yaml:"expression"`
		Name        string `yaml:"name"`
		OpData      string `yaml:"opdata,omitempty"`
		Priority    string `yaml:"priority"`
		Description string `yaml:"description,omitempty"`
		Tags        []tag  `yaml:"tags,omitempty"`
	}
	nameValue struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	}
	tag struct {
		Tag   string `yaml:"tag"`
		Value string `yaml:"value"`
	}
	macro struct {
		Macro       string `yaml:"macro"`
		Type        string `yaml:"type,omitempty"`
		Value       string `yaml:"value,omitempty"`
		Description string `yaml:"description,omitempty"`
	}
)
