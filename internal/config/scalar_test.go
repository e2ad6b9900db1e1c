package config

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name, in string
		want     Duration
		wantErr  string
	}{
		{name: "seconds", in: "30s", want: Duration(30 * time.Second)},
		{name: "compound", in: "1h30m", want: Duration(90 * time.Minute)},
		{name: "milliseconds", in: "250ms", want: Duration(250 * time.Millisecond)},
		{name: "zero", in: "0s", want: 0},
		{name: "bare number", in: "30", wantErr: `invalid duration "30": the number has no unit; write e.g. "30s"`},
		{name: "bare zero", in: "0", wantErr: `write e.g. "0s"`},
		{name: "negative", in: "-5s", wantErr: `negative duration "-5s": durations must be positive`},
		{name: "days", in: "7d", wantErr: `days are not a unit; write hours, e.g. "168h"`},
		{name: "words", in: "five minutes", wantErr: `invalid duration "five minutes": write a number with a unit`},
		{name: "empty", in: "", wantErr: "empty duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestDuration_String(t *testing.T) {
	for d, want := range map[Duration]string{
		0:                                  "0s",
		Duration(30 * time.Second):         "30s",
		Duration(10 * time.Second):         "10s",
		Duration(90 * time.Minute):         "1h30m",
		Duration(168 * time.Hour):          "168h",
		Duration(30 * time.Minute):         "30m",
		Duration(time.Hour + time.Second):  "1h0m1s",
		Duration(1500 * time.Millisecond):  "1.5s",
		Duration(-30 * time.Second):        "-30s",
		Duration(2*time.Minute + 500*1e6):  "2m0.5s",
		Duration(24*time.Hour + time.Hour): "25h",
	} {
		if got := d.String(); got != want {
			t.Errorf("Duration(%d).String() = %q; want %q", int64(d), got, want)
		}
		if d < 0 {
			continue
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, d)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		name, in string
		want     ByteSize
		wantErr  string
	}{
		{name: "bytes", in: "1000", want: 1000},
		{name: "zero", in: "0", want: 0},
		{name: "B", in: "512B", want: 512},
		{name: "KiB", in: "4KiB", want: 4096},
		{name: "MiB", in: "1MiB", want: 1 << 20},
		{name: "GiB", in: "2GiB", want: 2 << 30},
		{name: "MB", in: "2MB", want: 2000000},
		{name: "lower case", in: "4kib", want: 4096},
		{name: "space", in: "4 KiB", want: 4096},
		{name: "negative", in: "-1KiB", wantErr: `negative size "-1KiB"`},
		{name: "fraction", in: "1.5MiB", wantErr: `invalid size "1.5MiB": expected a whole number`},
		{name: "unknown unit", in: "4K", wantErr: `unknown unit "K"`},
		{name: "no number", in: "KiB", wantErr: `invalid size "KiB"`},
		{name: "garbage", in: "lots", wantErr: `invalid size "lots"`},
		{name: "overflow", in: "99999999999GiB", wantErr: "too large"},
		{name: "huge number", in: "99999999999999999999", wantErr: "too large"},
		{name: "empty", in: " ", wantErr: "empty size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseByteSize(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestByteSize_String(t *testing.T) {
	for b, want := range map[ByteSize]string{
		0: "0", 1: "1", 1000: "1KB", 1500: "1500", 4096: "4KiB", 1 << 20: "1MiB",
		2000000: "2MB", 3 << 30: "3GiB", 1e9: "1GB", -5: "-5",
	} {
		if got := b.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q; want %q", int64(b), got, want)
		}
		if b < 0 {
			continue
		}
		if back, err := ParseByteSize(b.String()); err != nil || back != b {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", b.String(), back, err, b)
		}
	}
}

// TestScalars_yaml checks the YAML methods outside Load: errors carry the
// line, and values survive a round trip.
func TestScalars_yaml(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
		B ByteSize `yaml:"b"`
	}
	err := yaml.Unmarshal([]byte("d: 1m\nb: 4 parsecs\n"), &v)
	if want := `line 2, column 4: invalid size "4 parsecs"`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Unmarshal error = %v; want it to start with %q", err, want)
	}
	err = yaml.Unmarshal([]byte("d: [1m]\n"), &v)
	if want := `line 1, column 4: expected a duration such as "30s", found a list`; err == nil || err.Error() != want {
		t.Errorf("Unmarshal error = %v; want %q", err, want)
	}

	v.D, v.B = Duration(90*time.Minute), 4*KiB
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "d: 1h30m\nb: 4KiB\n"; got != want {
		t.Errorf("Marshal = %q; want %q", got, want)
	}
}

func checkParse[T comparable](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("got error %v; want %v", err, want)
	case wantErr == "" && got != want:
		t.Errorf("got %v; want %v", got, want)
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("got %v, %v; want an error containing %q", got, err, wantErr)
	}
}
