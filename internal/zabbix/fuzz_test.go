package zabbix

import (
	"bytes"
	"testing"
)

// FuzzReadFrame reads arbitrary bytes as a frame: it must never panic or
// read past the frame, must return exactly the data the header announces,
// and Encode must give back the frame it read. Seeds are in
// testdata/fuzz/FuzzReadFrame.
func FuzzReadFrame(f *testing.F) {
	f.Add(Encode([]byte(`{"response":"success","info":"processed: 1; failed: 0; total: 1; seconds spent: 0.000031"}`)))
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 16
		r := bytes.NewReader(in)
		data, err := ReadFrame(r, limit)
		if err != nil {
			if data != nil {
				t.Fatalf("ReadFrame returned %d bytes with error %v", len(data), err)
			}
			return
		}
		if len(data) > limit {
			t.Fatalf("ReadFrame returned %d bytes, over the limit %d", len(data), limit)
		}
		n := headerLen + len(data)
		if read := len(in) - r.Len(); read != n {
			t.Fatalf("ReadFrame consumed %d bytes; want the frame's %d", read, n)
		}
		// The reserved bytes are ignored on reading and zero on writing.
		want := append(append([]byte{}, in[:9]...), 0, 0, 0, 0)
		if got := Encode(data); !bytes.Equal(got[:headerLen], want) || !bytes.Equal(got[headerLen:], in[headerLen:n]) {
			t.Fatalf("Encode(ReadFrame(% x)) = % x", in[:n], got)
		}
		// And any data makes the round trip.
		again, err := ReadFrame(bytes.NewReader(Encode(in)), len(in))
		if err != nil || !bytes.Equal(again, in) {
			t.Fatalf("ReadFrame(Encode(% x)) = % x, %v", in, again, err)
		}
	})
}
