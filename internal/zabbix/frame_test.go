package zabbix

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// The request of TestEncode_SenderData, as Zabbix's protocol documentation
// lays sender data out: the first item with its own clock, the second
// without one, then the request's clock.
const senderDataJSON = `{"request":"sender data","data":[` +
	`{"host":"crmguard-prod","key":"crmguard.calls[sf]","value":"42","clock":1767225600,"ns":500},` +
	`{"host":"crmguard-prod","key":"crmguard.queue.depth","value":"3"}],` +
	`"clock":1767225601,"ns":123456789}`

func TestEncode_SenderData(t *testing.T) {
	items := []Item{
		{Host: "crmguard-prod", Key: "crmguard.calls[sf]", Value: "42", Clock: time.Unix(1767225600, 500)},
		{Host: "crmguard-prod", Key: "crmguard.queue.depth", Value: "3"},
	}
	req, err := marshalRequest(items, time.Unix(1767225601, 123456789))
	if err != nil {
		t.Fatal(err)
	}
	if string(req) != senderDataJSON {
		t.Fatalf("sender data JSON\n got %s\nwant %s", req, senderDataJSON)
	}
	want := append([]byte{
		'Z', 'B', 'X', 'D', // magic
		0x01,                   // flags: Zabbix protocol, not compressed
		0xe3, 0x00, 0x00, 0x00, // data length 227, little endian
		0x00, 0x00, 0x00, 0x00, // reserved
	}, senderDataJSON...)
	if got := Encode(req); !bytes.Equal(got, want) {
		t.Errorf("Encode\n got % x\nwant % x", got, want)
	}
	var w bytes.Buffer
	if err := WriteFrame(&w, req); err != nil || !bytes.Equal(w.Bytes(), want) {
		t.Errorf("WriteFrame wrote % x, %v; want the same bytes as Encode", w.Bytes(), err)
	}
}

func TestEncode_Lengths(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		header  []byte
	}{
		{"empty", "", []byte{'Z', 'B', 'X', 'D', 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
		{"300 bytes, two length bytes", strings.Repeat("x", 300), []byte{'Z', 'B', 'X', 'D', 0x01, 0x2c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
		{"70000 bytes, three length bytes", strings.Repeat("y", 70000), []byte{'Z', 'B', 'X', 'D', 0x01, 0x70, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Encode([]byte(tc.payload))
			if !bytes.Equal(got[:headerLen], tc.header) || string(got[headerLen:]) != tc.payload {
				t.Errorf("header % x; want % x", got[:headerLen], tc.header)
			}
		})
	}
}

func TestReadFrame(t *testing.T) {
	first, second := `{"response":"success","info":"processed: 1; failed: 0; total: 1; seconds spent: 0.000031"}`, `{}`
	stream := bytes.NewReader(append(Encode([]byte(first)), Encode([]byte(second))...))
	for _, want := range []string{first, second} {
		got, err := ReadFrame(stream, 1024)
		if err != nil || string(got) != want {
			t.Fatalf("ReadFrame = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadFrame(stream, 1024); !errors.Is(err, io.EOF) {
		t.Errorf("ReadFrame at the end of the stream: %v; want io.EOF", err)
	}
}

func TestReadFrame_Errors(t *testing.T) {
	header := func(flags byte, length ...byte) []byte {
		return append([]byte{'Z', 'B', 'X', 'D', flags}, append(length, 0, 0, 0, 0)...)
	}
	for _, tc := range []struct {
		name  string
		in    []byte
		limit int
		is    error  // wrapped, if not nil
		want  string // in the message
	}{
		{"HTTP answer", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 1024, ErrNotZabbix, `it starts with "HTTP/1.1", want "ZBXD"`},
		{"short garbage", []byte("ZBX!"), 1024, ErrNotZabbix, `it starts with "ZBX!"`},
		{"compressed", header(0x03, 5, 0, 0, 0), 1024, nil, "zlib-compressed (flags 0x03), which is not supported"},
		{"large packet", header(0x05, 5, 0, 0, 0), 1024, nil, "large-packet header (flags 0x05)"},
		{"no protocol flag", header(0x00, 5, 0, 0, 0), 1024, nil, "unknown flags 0x00; want 0x01"},
		{"over the limit", header(0x01, 0x01, 0x04, 0, 0), 1024, ErrTooLarge, "announces 1025 bytes, more than the 1024 allowed"},
		{"huge length", header(0x01, 0xff, 0xff, 0xff, 0xff), 1 << 20, ErrTooLarge, "announces 4294967295 bytes"},
		{"header cut short", []byte("ZBXD\x01\x05"), 1024, io.ErrUnexpectedEOF, "header cut short after 6 of 13 bytes"},
		{"data cut short", append(header(0x01, 10, 0, 0, 0), "{}"...), 1024, io.ErrUnexpectedEOF, "data cut short after 2 of 10 bytes"},
		{"nothing", nil, 1024, io.EOF, "closed the connection without sending one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFrame(bytes.NewReader(tc.in), tc.limit)
			if err == nil {
				t.Fatalf("ReadFrame = %q, nil; want an error", got)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q; want it to say %q", err, tc.want)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Response
		err  string
	}{
		{
			name: "all processed",
			in:   `{"response":"success","info":"processed: 3; failed: 0; total: 3; seconds spent: 0.000055"}`,
			want: Response{Response: "success", Info: "processed: 3; failed: 0; total: 3; seconds spent: 0.000055", Processed: 3, Total: 3, Seconds: 0.000055},
		},
		{
			name: "some failed",
			in:   `{"response":"success","info":"processed: 1; failed: 2; total: 3; seconds spent: 0.000120"}`,
			want: Response{Response: "success", Info: "processed: 1; failed: 2; total: 3; seconds spent: 0.000120", Processed: 1, Failed: 2, Total: 3, Seconds: 0.00012},
		},
		{
			name: "info without counts",
			in:   `{"response":"failed","info":"cannot parse data"}`,
			want: Response{Response: "failed", Info: "cannot parse data"},
		},
		{name: "not JSON", in: `<html>`, err: `answer "<html>" is not the JSON of a Zabbix server`},
		{name: "no response", in: `{"info":"x"}`, err: `has no "response"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseResponse([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("parseResponse = %+v, %v; want an error saying %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseResponse = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSender_Addr(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "127.0.0.1:10052", want: "127.0.0.1:10052"},
		{in: "127.0.0.1", want: "127.0.0.1:10051"},
		{in: "zabbix.internal", want: "zabbix.internal:10051"},
		{in: " zabbix.internal:10051 ", want: "zabbix.internal:10051"},
		{in: "::1", want: "[::1]:10051"},
		{in: "[::1]", want: "[::1]:10051"},
		{in: "[::1]:10052", want: "[::1]:10052"},
		{in: "", err: "no server address"},
		{in: "zabbix.internal:", err: `"zabbix.internal:" is not host:port`},
		{in: "a:b:c", err: `"a:b:c" is not host:port`},
	} {
		got, err := Sender{Addr: tc.in}.addr()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("addr(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("addr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
