package zabbix

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The Zabbix protocol header (Zabbix 4.0 and later): the magic "ZBXD",
// one flags byte, the data length as 4 bytes little endian, and 4
// reserved bytes that hold the uncompressed length of compressed data and
// are zero otherwise. See
// https://www.zabbix.com/documentation/current/en/manual/appendix/protocols/header_datalen.
const (
	magic     = "ZBXD"
	headerLen = 13

	// flagProtocol marks the Zabbix protocol; every frame has it.
	flagProtocol = 0x01
	// flagCompressed marks zlib-compressed data. Zabbix answers in the
	// form it was asked in, so an uncompressed request never gets a
	// compressed answer and this package needs no zlib.
	flagCompressed = 0x02
	// flagLarge marks the header with 8-byte lengths for data over
	// 4 GiB, which sender data never comes near.
	flagLarge = 0x04
)

// ErrNotZabbix is wrapped by the error ReadFrame returns when the bytes
// read do not start with the Zabbix protocol's magic "ZBXD": the peer
// speaks some other protocol.
var ErrNotZabbix = errors.New("not a Zabbix protocol frame")

// ErrTooLarge is wrapped by the error ReadFrame returns when a frame
// announces more data than the caller allows.
var ErrTooLarge = errors.New("frame data over the limit")

// Encode returns payload framed for the Zabbix protocol: "ZBXD", the flags
// byte 0x01, the payload's length as 4 bytes little endian, 4 zero bytes,
// then the payload. It returns nil for a payload of 4 GiB or more, whose
// length the header cannot hold; WriteFrame reports that as an error.
func Encode(payload []byte) []byte {
	if uint64(len(payload)) > math.MaxUint32 {
		return nil
	}
	b := make([]byte, headerLen, headerLen+len(payload))
	copy(b, magic)
	b[4] = flagProtocol
	binary.LittleEndian.PutUint32(b[5:9], uint32(len(payload)))
	// b[9:13], the reserved length, stays zero: the data is not compressed.
	return append(b, payload...)
}

// WriteFrame writes payload to w as one Zabbix protocol frame (see
// Encode).
func WriteFrame(w io.Writer, payload []byte) error {
	b := Encode(payload)
	if b == nil {
		return fmt.Errorf("writing Zabbix frame: %d bytes of data do not fit the header's 4-byte length; send fewer items at once", len(payload))
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing Zabbix frame: %w", err)
	}
	return nil
}

// ReadFrame reads one Zabbix protocol frame from r and returns its data.
// It reads exactly the frame, so r may hold more after it. Errors say
// what is wrong with the frame: ErrNotZabbix when the magic is not
// "ZBXD", ErrTooLarge when the data announced is over limit bytes,
// compressed or large-packet frames (flags 0x02 and 0x04), which are not
// supported, and frames cut short. A stream that ends before the first
// byte gives an error wrapping io.EOF.
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	var h [headerLen]byte
	n, err := io.ReadFull(r, h[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil, fmt.Errorf("reading Zabbix frame: the peer closed the connection without sending one: %w", io.EOF)
	case n >= len(magic) && !bytes.Equal(h[:len(magic)], []byte(magic)):
		return nil, fmt.Errorf("%w: it starts with %q, want %q", ErrNotZabbix, h[:min(n, 8)], magic)
	case err != nil:
		return nil, fmt.Errorf("reading Zabbix frame: header cut short after %d of %d bytes: %w", n, headerLen, err)
	}
	switch flags := h[4]; {
	case flags&flagCompressed != 0:
		return nil, fmt.Errorf("reading Zabbix frame: data is zlib-compressed (flags 0x%02x), which is not supported; the peer should answer uncompressed to an uncompressed request", flags)
	case flags&flagLarge != 0:
		return nil, fmt.Errorf("reading Zabbix frame: large-packet header (flags 0x%02x) with 8-byte lengths is not supported", flags)
	case flags != flagProtocol:
		return nil, fmt.Errorf("reading Zabbix frame: unknown flags 0x%02x; want 0x01, the protocol of Zabbix 4.0 and later", flags)
	}
	size := binary.LittleEndian.Uint32(h[5:9])
	if uint64(size) > uint64(max(limit, 0)) {
		return nil, fmt.Errorf("reading Zabbix frame: %w: it announces %d bytes, more than the %d allowed", ErrTooLarge, size, limit)
	}
	data := make([]byte, size)
	if n, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("reading Zabbix frame: data cut short after %d of %d bytes: %w", n, size, err)
	}
	return data, nil
}
