package ecslog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
	"github.com/crmguard/crmguard/internal/notify"
)

// fieldDef is one field of testdata/ecs_fields.yml.
type fieldDef struct {
	Type       string   `yaml:"type"`
	Normalize  []string `yaml:"normalize"`
	ObjectType string   `yaml:"object_type"`
	Required   bool     `yaml:"required"`
	Meaning    string   `yaml:"meaning"`
}

type fieldFile struct {
	ECS      map[string]fieldDef `yaml:"ecs"`
	CRMGuard map[string]fieldDef `yaml:"crmguard"`
}

func loadFields(t *testing.T) fieldFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ecs_fields.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var ff fieldFile
	if err := dec.Decode(&ff); err != nil {
		t.Fatalf("parsing testdata/ecs_fields.yml: %v", err)
	}
	for name, def := range ff.ECS {
		if strings.HasPrefix(name, "crmguard.") {
			t.Errorf("ecs section lists custom field %s; move it to the crmguard section", name)
		}
		if def.Meaning == "" {
			t.Errorf("ecs field %s has no meaning", name)
		}
	}
	for name, def := range ff.CRMGuard {
		if !strings.HasPrefix(name, "crmguard.") {
			t.Errorf("crmguard section lists %s, which is outside the crmguard namespace", name)
		}
		if def.Meaning == "" {
			t.Errorf("crmguard field %s has no meaning", name)
		}
	}
	return ff
}

var (
	t0       = time.Date(2025, 3, 4, 10, 20, 30, 123456789, time.FixedZone("CET", 3600))
	stampNow = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
)

// sampleDocs is a spread of documents that, between them, emit every
// field crmguard can: successful, failed, queued, guarded, partial and
// canceled calls, every incident action and every alert action.
func sampleDocs() []Doc {
	calls := []*call.Call{
		{ // ok, client named by its identity header
			ID: "c-ok", Start: t0, Upstream: "salesforce", Method: "GET",
			Operation: "/services/data/v59.0/sobjects/Contact/{id}", APIVersion: "v59.0",
			Client: "billing-sync", Status: 200, Class: fault.OK,
			Latency: 84 * time.Millisecond, BytesOut: 1234, Attempts: 1,
		},
		{ // failed with a vendor code, client by remote address
			ID: "c-fail", Start: t0.Add(time.Second), Upstream: "salesforce", Method: "POST",
			Operation: "/services/data/v59.0/sobjects/Contact", APIVersion: "v59.0",
			Client: "203.0.113.7", Status: 400, Class: fault.DataFormat,
			VendorCode: "REQUIRED_FIELD_MISSING", Message: `Required fields are missing: [LastName] for <email> & "x"`,
			Remediation: "Send LastName.", Latency: 120 * time.Millisecond, BytesIn: 88, BytesOut: 140, Attempts: 1,
		},
		{ // a write queued after the CRM call failed
			ID: "c-queued", Start: t0.Add(2 * time.Second), Upstream: "hubspot", Method: "POST",
			Operation: "/crm/v3/objects/contacts", Client: "2001:db8::7", Status: 202,
			Class: fault.Unavailable, Message: "Queued for delivery as q-17 after the CRM call failed: 503 Service Unavailable",
			Retryable: true, Remediation: fault.Unavailable.Remediation(), Latency: 2 * time.Second, BytesIn: 64, BytesOut: 40,
			Attempts: 3,
		},
		{ // a write queued without trying: no attempt was made
			ID: "c-queued-direct", Start: t0.Add(3 * time.Second), Upstream: "hubspot", Method: "PATCH",
			Operation: "/crm/v3/objects/contacts/{id}", Client: "crm-sync", Status: 202, Class: fault.OK,
			Latency: 900 * time.Microsecond, BytesIn: 50, BytesOut: 40,
		},
		{ // the guard found things: deprecated version, a finding, a change
			ID: "c-guard", Start: t0.Add(4 * time.Second), Upstream: "salesforce", Method: "PATCH",
			Operation: "/services/data/v52.0/sobjects/Contact/{id}", APIVersion: "v52.0",
			Client: "billing-sync", Status: 204, Class: fault.OK, Latency: 50 * time.Millisecond, BytesIn: 30, Attempts: 1,
			Guard: call.Guard{
				VersionState: "deprecated",
				Findings:     []call.Finding{{Class: fault.Version, In: "response", Rule: "type", Message: "Email is a number"}},
				Changes:      []call.Change{{Pointer: "/Phone", Rule: "phone", From: "x", To: "y"}},
			},
		},
		{ // a batch in which some items failed
			ID: "c-partial", Start: t0.Add(5 * time.Second), Upstream: "salesforce", Method: "POST",
			Operation: "/services/data/v59.0/composite/sobjects", Client: "billing-sync", Status: 200,
			Class: fault.DataFormat, VendorCode: "INVALID_EMAIL_ADDRESS", Message: "2 of 5 records failed",
			Partial: true, Latency: 300 * time.Millisecond, BytesIn: 900, BytesOut: 700, Attempts: 1,
		},
		{ // the client went away
			ID: "c-canceled", Start: t0.Add(6 * time.Second), Upstream: "salesforce", Method: "GET",
			Operation: "/services/data/v59.0/query", Client: "reports", Status: 499, Class: fault.Canceled,
			Message: "client went away while the response was being sent", Latency: 10 * time.Second, Attempts: 1,
		},
	}
	var docs []Doc
	for i, c := range calls {
		d := Call(c)
		if i == 1 {
			d = d.WithIncident("9f2c4e1a0b3d5f67")
		}
		docs = append(docs, d)
	}

	inc := incident.Incident{
		Fingerprint: "9f2c4e1a0b3d5f67", Upstream: "salesforce", Operation: "/services/data/v59.0/sobjects/Contact",
		Class: fault.DataFormat, VendorCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [LastName]",
		FirstSeen: t0, LastSeen: t0.Add(time.Minute), Count: 1, SampleCalls: []string{"c-fail"},
		Remediation: "Send LastName.", State: incident.Open,
	}
	docs = append(docs, Incident(inc, ActionIncidentOpened))
	inc.Count, inc.Reopened, inc.SampleCalls = 7, 2, []string{"c-fail", "c-9", "c-12"}
	docs = append(docs, Incident(inc, ActionIncidentReopened))
	inc.State, inc.ResolvedAt = incident.Resolved, t0.Add(time.Hour)
	docs = append(docs, Incident(inc, ActionIncidentResolved))

	firing := notify.Alert{
		ID: "a-1", Rule: "upstream-failing", Status: notify.Firing, Severity: "critical",
		Labels: map[string]string{
			"alertname": "upstream-failing", "severity": "critical", "upstream": "salesforce", "k8s.namespace": "crm",
		},
		Annotations: map[string]string{
			"summary":     "salesforce: 40% of calls failed in 5m",
			"description": "Calls to salesforce fail with unavailable.",
			"remediation": "Check the CRM's status page.",
		},
		Value: 0.4, StartsAt: t0, URL: "/api/alerts/a-1",
	}
	docs = append(docs, Alert(firing, ActionAlertFiring))
	resolved := firing
	resolved.Status, resolved.Severity, resolved.EndsAt = notify.Resolved, "warning", t0.Add(20*time.Minute)
	docs = append(docs, Alert(resolved, ActionAlertResolved))
	acked := firing
	acked.Severity, acked.Value = "info", 0
	docs = append(docs, Alert(acked, ActionAlertAcknowledged))
	silenced := firing
	silenced.Severity, silenced.Annotations = "", nil
	docs = append(docs, Alert(silenced, ActionAlertSilenced))
	return docs
}

// TestECSFieldTypes writes the sample documents through a Writer, reads
// the file back and checks every key of every line against
// testdata/ecs_fields.yml: ECS fields by their ECS type, crmguard.*
// fields by the crmguard section; any other key fails.
func TestECSFieldTypes(t *testing.T) {
	ff := loadFields(t)
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w, err := Open(Options{Path: path, Now: func() time.Time { return stampNow }})
	if err != nil {
		t.Fatal(err)
	}
	docs := sampleDocs()
	for _, d := range docs {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	lines := readLines(t, path)
	if len(lines) != len(docs) {
		t.Fatalf("got %d lines; want %d", len(lines), len(docs))
	}
	seen := map[string]bool{}
	for i, line := range lines {
		flat, err := flatten(line)
		if err != nil {
			t.Errorf("line %d: %v\n%s", i+1, err, line)
			continue
		}
		for name, def := range ff.ECS {
			if _, ok := flat[name]; def.Required && !ok {
				t.Errorf("line %d: required field %s missing", i+1, name)
			}
		}
		for key, v := range flat {
			name, def, err := lookup(ff, key)
			if err != nil {
				t.Errorf("line %d: %v", i+1, err)
				continue
			}
			seen[name] = true
			if err := checkValue(def, key, v); err != nil {
				t.Errorf("line %d: %s: %v", i+1, key, err)
			}
		}
	}
	for _, section := range []map[string]fieldDef{ff.ECS, ff.CRMGuard} {
		for name := range section {
			if !seen[name] {
				t.Errorf("%s is listed in testdata/ecs_fields.yml but no sample document emits it; drop it or add a sample that does", name)
			}
		}
	}
}

// lookup finds the definition of a flattened key: the field itself, or
// an object field (labels) the key is a direct child of.
func lookup(ff fieldFile, key string) (string, fieldDef, error) {
	section, where := ff.ECS, "ecs"
	if strings.HasPrefix(key, "crmguard.") {
		section, where = ff.CRMGuard, "crmguard"
	}
	if def, ok := section[key]; ok {
		return key, def, nil
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		parent := key[:i]
		if def, ok := section[parent]; ok && def.Type == "object" {
			return parent, fieldDef{Type: def.ObjectType}, nil
		}
	}
	return "", fieldDef{}, fmt.Errorf("%s is not in the %s section of testdata/ecs_fields.yml", key, where)
}

// checkValue reports whether the JSON value v fits the field's type as
// Elasticsearch would index it.
func checkValue(def fieldDef, key string, v any) error {
	if slices.Contains(def.Normalize, "array") {
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("got %T; want an array (ECS normalizes %s to an array)", v, key)
		}
		if len(arr) == 0 {
			return fmt.Errorf("empty array; omit the field instead")
		}
		for _, e := range arr {
			if err := checkScalar(def.Type, e); err != nil {
				return err
			}
		}
		return nil
	}
	if _, ok := v.([]any); ok {
		return fmt.Errorf("got an array; %s holds a single value", key)
	}
	return checkScalar(def.Type, v)
}

func checkScalar(typ string, v any) error {
	switch typ {
	case "keyword", "constant_keyword", "wildcard", "match_only_text", "text":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("got %T %v; want a string for %s", v, v, typ)
		}
		if s == "" {
			return fmt.Errorf("empty string; omit the field instead")
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("got %T; want an RFC 3339 string for date", v)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("date %q: %v", s, err)
		}
		if !strings.HasSuffix(s, "Z") {
			return fmt.Errorf("date %q is not in UTC", s)
		}
	case "long":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("got %T; want a number for long", v)
		}
		if _, err := n.Int64(); err != nil {
			return fmt.Errorf("long %s is not an integer", n)
		}
	case "float", "double", "scaled_float":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("got %T; want a number for %s", v, typ)
		}
		if _, err := n.Float64(); err != nil {
			return fmt.Errorf("%s %s: %v", typ, n, err)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("got %T; want a boolean", v)
		}
	case "ip":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("got %T; want a string for ip", v)
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return fmt.Errorf("ip %q: %v", s, err)
		}
	default:
		return fmt.Errorf("type %q is not one the test knows; add it to checkScalar", typ)
	}
	return nil
}

// flatten decodes one JSON object and returns its leaves by dotted key.
// Arrays are leaves. A key that itself contains a dot fails: Filebeat's
// expand_keys would nest it, so it would not be the field it looks like.
func flatten(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value on the line")
	}
	out := map[string]any{}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for k, v := range m {
			if strings.Contains(k, ".") {
				return fmt.Errorf("key %q under %q contains a dot", k, prefix)
			}
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok {
				if len(sub) == 0 {
					return fmt.Errorf("%s is an empty object", key)
				}
				if err := walk(key, sub); err != nil {
					return err
				}
				continue
			}
			out[key] = v
		}
		return nil
	}
	return out, walk("", obj)
}

// readLines returns the lines of the file at path, failing the test on
// a last line without its newline or an empty line.
func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			t.Fatalf("%s has an empty line", path)
		}
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
