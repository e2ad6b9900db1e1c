package zabbix

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// node is the generic YAML the tests read the template as, so that they
// check what Zabbix would read rather than the Go types that wrote it.
type node = map[string]any

func list(t *testing.T, n node, key string) []node {
	t.Helper()
	raw, ok := n[key].([]any)
	if !ok {
		t.Fatalf("%q is %T, not a list, in %v", key, n[key], n)
	}
	out := make([]node, len(raw))
	for i, r := range raw {
		if out[i], ok = r.(node); !ok {
			t.Fatalf("%q[%d] is %T, not a mapping", key, i, r)
		}
	}
	return out
}

func str(n node, key string) string { s, _ := n[key].(string); return s }

// parseTemplate writes the template for upstreams and returns the one
// template in it.
func parseTemplate(t *testing.T, o TemplateOptions) (node, node) {
	t.Helper()
	b, err := Template(o)
	if err != nil {
		t.Fatalf("Template: %v", err)
	}
	var doc node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the template is not YAML: %v\n%s", err, b)
	}
	export, ok := doc["zabbix_export"].(node)
	if !ok || len(doc) != 1 {
		t.Fatalf("top level %v; want zabbix_export only", doc)
	}
	templates := list(t, export, "templates")
	if len(templates) != 1 {
		t.Fatalf("%d templates; want 1", len(templates))
	}
	return export, templates[0]
}

func TestTemplate_Structure(t *testing.T) {
	export, tpl := parseTemplate(t, TemplateOptions{Upstreams: []string{"sf", "hubspot-eu"}})
	if v := str(export, "version"); v != "6.0" {
		t.Errorf("version %q; want 6.0", v)
	}
	groups := list(t, export, "groups")
	if len(groups) != 1 || str(groups[0], "name") != "Templates/Applications" || str(groups[0], "uuid") != "a571c0d144b14fd4a87a9d9b2aa9fcd6" {
		t.Errorf("groups %v; want Templates/Applications with the UUID Zabbix gives it", groups)
	}
	if str(tpl, "template") != "crmguard" || str(tpl, "name") != "crmguard" {
		t.Errorf("template %q named %q; want crmguard", str(tpl, "template"), str(tpl, "name"))
	}
	if g := list(t, tpl, "groups"); len(g) != 1 || str(g[0], "name") != "Templates/Applications" {
		t.Errorf("template groups %v; want Templates/Applications", g)
	}

	items := map[string]node{}
	for _, it := range list(t, tpl, "items") {
		if items[str(it, "key")] != nil {
			t.Errorf("item key %s appears twice", str(it, "key"))
		}
		items[str(it, "key")] = it
	}
	// Every key crmguard pushes has a trapper item.
	for _, k := range Keys([]string{"sf", "hubspot-eu"}) {
		it := items[k]
		switch {
		case it == nil:
			t.Errorf("no item for the pushed key %s", k)
		case str(it, "type") != "TRAP" || str(it, "delay") != "0":
			t.Errorf("item %s is type %q, delay %q; want a trapper item (TRAP, delay 0)", k, str(it, "type"), str(it, "delay"))
		}
	}
	for k, want := range map[string][2]string{
		"crmguard.latency.p95[sf]":  {"FLOAT", "s"},
		"crmguard.error_rate[sf]":   {"FLOAT", ""},
		"crmguard.calls[sf]":        {"UNSIGNED", ""},
		"crmguard.queue.oldest_age": {"FLOAT", "s"},
		"crmguard.alerts.firing":    {"UNSIGNED", ""},
	} {
		if got := [2]string{str(items[k], "value_type"), str(items[k], "units")}; got != want {
			t.Errorf("item %s has value type and units %q; want %q", k, got, want)
		}
	}

	// The HTTP agent items call the admin API with the token.
	var polled []string
	for k, it := range items {
		if str(it, "type") != "HTTP_AGENT" {
			continue
		}
		polled = append(polled, k)
		if u := str(it, "url"); !strings.HasPrefix(u, "{$CRMGUARD.ADMIN.URL}/api/v1/") {
			t.Errorf("item %s polls %q; want a URL under {$CRMGUARD.ADMIN.URL}/api/v1/", k, u)
		}
		h := list(t, it, "headers")
		if len(h) != 1 || str(h[0], "name") != "Authorization" || str(h[0], "value") != "Bearer {$CRMGUARD.ADMIN.TOKEN}" {
			t.Errorf("item %s sends headers %v; want Authorization: Bearer {$CRMGUARD.ADMIN.TOKEN}", k, h)
		}
	}
	slices.Sort(polled)
	if want := []string{"crmguard.api.alerts.firing", "crmguard.api.queue", "crmguard.api.stats", "crmguard.api.upstreams"}; !slices.Equal(polled, want) {
		t.Errorf("HTTP agent items %q; want %q", polled, want)
	}
	if q := list(t, items["crmguard.api.stats"], "query_fields"); len(q) != 1 || str(q[0], "name") != "since" || str(q[0], "value") != "5m" {
		t.Errorf("stats query %v; want since=5m", q)
	}
	alerts := items["crmguard.api.alerts.firing"]
	if str(alerts, "url") != "{$CRMGUARD.ADMIN.URL}/api/v1/alerts" || jsonPaths(t, alerts)[0] != "$.alerts.length()" {
		t.Errorf("alerts item %v; want /api/v1/alerts?state=firing counted with $.alerts.length()", alerts)
	}
	for k, path := range map[string]string{"crmguard.api.queue.depth": "$.depth", "crmguard.api.queue.oldest_age": "$.oldest_age_seconds", "crmguard.api.queue.dead": "$.dead"} {
		if p := jsonPaths(t, items[k]); len(p) != 1 || p[0] != path || str(items[k], "type") != "DEPENDENT" {
			t.Errorf("item %s reads %q; want a dependent item reading %s", k, p, path)
		}
	}

	// Discovery: {#UPSTREAM} from the stats, prototypes per upstream.
	rules := list(t, tpl, "discovery_rules")
	if len(rules) != 1 {
		t.Fatalf("%d discovery rules; want 1", len(rules))
	}
	rule := rules[0]
	if str(rule, "type") != "DEPENDENT" || str(rule["master_item"].(node), "key") != "crmguard.api.stats" {
		t.Errorf("discovery rule %v; want one dependent on crmguard.api.stats", rule)
	}
	if p := list(t, rule, "lld_macro_paths"); len(p) != 1 || str(p[0], "lld_macro") != "{#UPSTREAM}" || str(p[0], "path") != "$.upstream" {
		t.Errorf("lld_macro_paths %v; want {#UPSTREAM} at $.upstream", p)
	}
	protos := map[string]node{}
	for _, p := range list(t, rule, "item_prototypes") {
		protos[str(p, "key")] = p
		if !strings.Contains(str(p, "key"), "[{#UPSTREAM}]") {
			t.Errorf("prototype key %s lacks [{#UPSTREAM}]", str(p, "key"))
		}
	}
	p95 := protos["crmguard.api.latency.p95[{#UPSTREAM}]"]
	steps := list(t, p95, "preprocessing")
	if len(steps) != 2 || str(steps[0], "type") != "JSONPATH" ||
		steps[0]["parameters"].([]any)[0] != "$.upstreams[?(@.upstream=='{#UPSTREAM}')].latency_ms.p95.first()" ||
		str(steps[1], "type") != "MULTIPLIER" || steps[1]["parameters"].([]any)[0] != "0.001" || str(p95, "units") != "s" {
		t.Errorf("p95 prototype %v; want the upstream's latency_ms.p95 times 0.001, in s", p95)
	}
	if p := jsonPaths(t, protos["crmguard.api.error_rate[{#UPSTREAM}]"]); len(p) != 1 || p[0] != "$.upstreams[?(@.upstream=='{#UPSTREAM}')].error_rate.first()" {
		t.Errorf("error rate prototype reads %q", p)
	}

	// Triggers on the error rate, the breaker and the queue's age.
	expressions := map[string]bool{}
	walk(tpl, func(key string, v node) {
		if key == "triggers" || key == "trigger_prototypes" {
			expressions[str(v, "expression")] = true
		}
	})
	for _, want := range []string{
		`last(/crmguard/crmguard.api.error_rate[{#UPSTREAM}])>{$CRMGUARD.ERROR_RATE.MAX:"{#UPSTREAM}"}`,
		`last(/crmguard/crmguard.api.queue.oldest_age)>{$CRMGUARD.QUEUE.AGE.MAX}`,
		`last(/crmguard/crmguard.api.breaker.open[{#UPSTREAM}])=1`,
	} {
		if !expressions[want] {
			t.Errorf("no trigger %s among %v", want, expressions)
		}
	}

	macros := map[string]node{}
	for _, m := range list(t, tpl, "macros") {
		macros[str(m, "macro")] = m
	}
	for m, want := range map[string]string{
		"{$CRMGUARD.ADMIN.URL}": "http://127.0.0.1:8081", "{$CRMGUARD.ERROR_RATE.MAX}": "0.05", "{$CRMGUARD.QUEUE.AGE.MAX}": "600",
	} {
		if got := str(macros[m], "value"); got != want {
			t.Errorf("macro %s = %q; want %q", m, got, want)
		}
	}
	if tok := macros["{$CRMGUARD.ADMIN.TOKEN}"]; str(tok, "type") != "SECRET_TEXT" || tok["value"] != nil {
		t.Errorf("token macro %v; want a SECRET_TEXT macro without a value", tok)
	}
}

// TestTemplate_References checks what Zabbix's import checks across
// entities: UUIDs, master items, trigger items, macros and JSONPath.
func TestTemplate_References(t *testing.T) {
	_, tpl := parseTemplate(t, TemplateOptions{Upstreams: []string{"sf", "hubspot-eu", "zoho_1"}})
	rule := list(t, tpl, "discovery_rules")[0]

	// UUIDs: 32 hex digits of a version 4 UUID, each used once.
	uuidV4 := regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	seen := map[string]bool{}
	var walkUUIDs func(v any)
	walkUUIDs = func(v any) {
		switch v := v.(type) {
		case node:
			if id, ok := v["uuid"]; ok {
				s, _ := id.(string)
				if !uuidV4.MatchString(s) {
					t.Errorf("uuid %v of %q is not 32 hex digits of a version 4 UUID", id, str(v, "name"))
				}
				if seen[s] {
					t.Errorf("uuid %s used twice", s)
				}
				seen[s] = true
			}
			for _, c := range v {
				walkUUIDs(c)
			}
		case []any:
			for _, c := range v {
				walkUUIDs(c)
			}
		}
	}
	walkUUIDs(tpl)
	if want := 1 + len(list(t, tpl, "items")) + 1 + len(list(t, rule, "item_prototypes")) + 3; len(seen) != want {
		t.Errorf("%d UUIDs; want %d: the template, its items, the rule, its prototypes and 3 triggers", len(seen), want)
	}

	// Dependent items and the rule name a master that polls.
	items := map[string]node{}
	for _, it := range list(t, tpl, "items") {
		items[str(it, "key")] = it
	}
	dependents := append(append(list(t, tpl, "items"), rule), list(t, rule, "item_prototypes")...)
	for _, d := range dependents {
		if str(d, "type") != "DEPENDENT" {
			continue
		}
		m, _ := d["master_item"].(node)
		if master := items[str(m, "key")]; master == nil || str(master, "type") != "HTTP_AGENT" {
			t.Errorf("%s depends on %v, which is not an HTTP agent item of the template", str(d, "key"), m)
		}
	}

	// Triggers name items of the template; prototypes name prototypes.
	protos := map[string]bool{}
	for _, p := range list(t, rule, "item_prototypes") {
		protos[str(p, "key")] = true
	}
	ref := regexp.MustCompile(`\(/crmguard/([^)]+)\)`)
	walk(tpl, func(key string, tr node) {
		if key != "triggers" && key != "trigger_prototypes" {
			return
		}
		m := ref.FindAllStringSubmatch(str(tr, "expression"), -1)
		if len(m) == 0 {
			t.Errorf("trigger %q names no item of the template", str(tr, "expression"))
		}
		for _, r := range m {
			if key == "triggers" && items[r[1]] == nil || key == "trigger_prototypes" && !protos[r[1]] {
				t.Errorf("%s %q names %s, which the template does not have", key, str(tr, "expression"), r[1])
			}
		}
	})

	// Every user macro used is defined, and every LLD macro declared.
	defined := map[string]bool{}
	for _, m := range list(t, tpl, "macros") {
		defined[str(m, "macro")] = true
	}
	userMacro := regexp.MustCompile(`\{\$([A-Z0-9._]+)(:"[^"]*")?\}`)
	lldMacro := regexp.MustCompile(`\{#[A-Z0-9_.]+\}`)
	declared := map[string]bool{}
	for _, p := range list(t, rule, "lld_macro_paths") {
		declared[str(p, "lld_macro")] = true
	}
	var strs func(v any, inRule bool)
	strs = func(v any, inRule bool) {
		switch v := v.(type) {
		case string:
			for _, m := range userMacro.FindAllStringSubmatch(v, -1) {
				if !defined["{$"+m[1]+"}"] {
					t.Errorf("macro %s in %q is not defined in the template", m[0], v)
				}
			}
			for _, m := range lldMacro.FindAllString(v, -1) {
				if !inRule || !declared[m] {
					t.Errorf("LLD macro %s in %q is not declared by the discovery rule", m, v)
				}
			}
		case node:
			for k, c := range v {
				strs(c, inRule || k == "discovery_rules")
			}
		case []any:
			for _, c := range v {
				strs(c, inRule)
			}
		}
	}
	for k, v := range tpl {
		if k != "macros" && k != "description" {
			strs(v, k == "discovery_rules")
		}
	}

	// JSONPath parameters are well formed.
	walk(tpl, func(key string, n node) {
		if key != "preprocessing" || str(n, "type") != "JSONPATH" {
			return
		}
		for _, p := range n["parameters"].([]any) {
			if err := checkJSONPath(p.(string)); err != nil {
				t.Errorf("JSONPath %q: %v", p, err)
			}
		}
	})
}

func TestTemplate_Stable(t *testing.T) {
	a, err := Template(TemplateOptions{Upstreams: []string{"sf", "hubspot"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Template(TemplateOptions{Upstreams: []string{"sf", "hubspot"}})
	if !bytes.Equal(a, b) {
		t.Error("writing the same template twice gave different bytes")
	}
	// An item keeps its UUID when other upstreams come and go.
	uuidOf := func(o TemplateOptions, key string) string {
		_, tpl := parseTemplate(t, o)
		for _, it := range list(t, tpl, "items") {
			if str(it, "key") == key {
				return str(it, "uuid")
			}
		}
		t.Fatalf("no item %s", key)
		return ""
	}
	if x, y := uuidOf(TemplateOptions{Upstreams: []string{"sf"}}, "crmguard.calls[sf]"),
		uuidOf(TemplateOptions{Upstreams: []string{"zoho", "sf"}}, "crmguard.calls[sf]"); x != y {
		t.Errorf("crmguard.calls[sf] has UUID %s, then %s after adding an upstream; want it kept", x, y)
	}
}

func TestTemplate_Options(t *testing.T) {
	_, tpl := parseTemplate(t, TemplateOptions{AdminURL: "https://crmguard.internal:9443/"})
	for _, m := range list(t, tpl, "macros") {
		if str(m, "macro") == "{$CRMGUARD.ADMIN.URL}" && str(m, "value") != "https://crmguard.internal:9443" {
			t.Errorf("admin URL macro = %q; want the URL given without the trailing /", str(m, "value"))
		}
	}
	var traps []string
	for _, it := range list(t, tpl, "items") {
		if str(it, "type") == "TRAP" {
			traps = append(traps, str(it, "key"))
		}
	}
	if !slices.Equal(traps, Keys(nil)) {
		t.Errorf("trapper items without upstreams %q; want %q", traps, Keys(nil))
	}

	for _, tc := range []struct {
		name string
		o    TemplateOptions
		want string
	}{
		{"name with a space", TemplateOptions{Upstreams: []string{"sales force"}}, `upstream name "sales force" is not one crmguard accepts`},
		{"name with a bracket", TemplateOptions{Upstreams: []string{"sf]"}}, `upstream name "sf]"`},
		{"empty name", TemplateOptions{Upstreams: []string{""}}, `upstream name ""`},
		{"repeated name", TemplateOptions{Upstreams: []string{"sf", "hubspot", "sf"}}, `upstream "sf" is named twice`},
		{"admin address without scheme", TemplateOptions{AdminURL: "127.0.0.1:8081"}, `admin URL "127.0.0.1:8081" is not an http or https URL`},
		{"admin URL with a query", TemplateOptions{AdminURL: "http://127.0.0.1:8081/?x=1"}, "is not an http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := Template(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Template = %d bytes, %v; want an error saying %q", len(b), err, tc.want)
			}
		})
	}
}

// walk calls f with every mapping found in a list under key, at any
// depth.
func walk(v any, f func(key string, n node)) {
	switch v := v.(type) {
	case node:
		for k, c := range v {
			if l, ok := c.([]any); ok {
				for _, e := range l {
					if n, ok := e.(node); ok {
						f(k, n)
					}
				}
			}
			walk(c, f)
		}
	case []any:
		for _, c := range v {
			walk(c, f)
		}
	}
}

// jsonPaths returns the JSONPath parameters of an item's preprocessing.
func jsonPaths(t *testing.T, it node) []string {
	t.Helper()
	var out []string
	for _, s := range list(t, it, "preprocessing") {
		if str(s, "type") == "JSONPATH" {
			for _, p := range s["parameters"].([]any) {
				out = append(out, p.(string))
			}
		}
	}
	return out
}

// checkJSONPath checks the JSONPath syntax Zabbix accepts, as far as the
// template uses it: $, then .name, [*], [n] and [?(@.name=='value')]
// segments, optionally ending in one of Zabbix's functions.
func checkJSONPath(p string) error {
	segment := regexp.MustCompile(`^(\.[A-Za-z_][A-Za-z0-9_]*|\[\*\]|\[[0-9]+\]|\[\?\(@\.[A-Za-z_][A-Za-z0-9_]*==('[^']*'|[0-9.]+)\)\])`)
	rest, ok := strings.CutPrefix(p, "$")
	if !ok {
		return fmt.Errorf("does not start at the root $")
	}
	for _, fn := range []string{".first()", ".length()", ".sum()", ".min()", ".max()", ".avg()"} {
		if r, ok := strings.CutSuffix(rest, fn); ok {
			rest = r
			break
		}
	}
	for rest != "" {
		m := segment.FindString(rest)
		if m == "" {
			return fmt.Errorf("cannot read %q", rest)
		}
		rest = rest[len(m):]
	}
	return nil
}
