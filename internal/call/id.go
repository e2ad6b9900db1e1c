package call

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
)

// ID identifies a call. It is 26 characters of Crockford base32 that sort in
// the order the calls started: 48 bits of Unix milliseconds, then 32 bits
// chosen at random when the process starts (so replicas do not collide),
// then a 48-bit per-process sequence. Sorting by ID is sorting by start time
// to the millisecond, which lets the store page and filter by time on the
// primary key alone.
type ID string

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Generator makes IDs. Its zero value is not usable; use NewGenerator.
type Generator struct {
	node uint32
	seq  atomic.Uint64
}

// NewGenerator returns a Generator with a random node part.
func NewGenerator() *Generator {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	g := &Generator{node: binary.BigEndian.Uint32(b[:4])}
	g.seq.Store(uint64(binary.BigEndian.Uint16(b[4:6])) << 16)
	return g
}

// New returns an ID for a call that started at t.
func (g *Generator) New(t time.Time) ID {
	return encode(uint64(t.UnixMilli()), g.node, g.seq.Add(1))
}

// MinID returns the smallest ID a call starting at or after t can have, for
// range queries by time.
func MinID(t time.Time) ID { return encode(uint64(max(t.UnixMilli(), 0)), 0, 0) }

// Time returns the millisecond at which the call with this ID started.
func (id ID) Time() (time.Time, error) {
	if len(id) != 26 {
		return time.Time{}, errors.New("call id must be 26 characters")
	}
	var ms uint64
	for i := range 10 {
		v := decodeChar(id[i])
		if v < 0 {
			return time.Time{}, errors.New("call id has a character outside Crockford base32")
		}
		ms = ms<<5 | uint64(v)
	}
	return time.UnixMilli(int64(ms)), nil
}

// Valid reports whether id has the form New produces.
func (id ID) Valid() bool {
	if len(id) != 26 {
		return false
	}
	for i := range len(id) {
		if decodeChar(id[i]) < 0 {
			return false
		}
	}
	return true
}

func decodeChar(c byte) int {
	for i := range len(crockford) {
		if crockford[i] == c {
			return i
		}
	}
	return -1
}

// encode packs ms (48 bits), node (32 bits) and seq (48 bits) into 128 bits
// and writes them as 26 base32 characters, most significant first (the top
// two bits of the 130-bit field are zero).
func encode(ms uint64, node uint32, seq uint64) ID {
	hi := ms<<16 | uint64(node>>16)               // 64 bits
	lo := uint64(node&0xffff)<<48 | seq&(1<<48-1) // 64 bits
	var out [26]byte
	// 130-bit big number: 2 zero bits, hi, lo. Emit 5 bits at a time from
	// the least significant end.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return ID(out[:])
}
