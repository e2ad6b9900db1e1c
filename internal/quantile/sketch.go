// Package quantile provides a mergeable latency sketch with a bounded
// relative error, so per-minute rollups can be stored once and combined into
// quantiles over any period.
package quantile

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// gamma is the ratio between bucket bounds. A value v falls in bucket
// ceil(log_gamma(v)); reporting the bucket's midpoint keeps the relative
// error of any quantile under (gamma-1)/(gamma+1), about 2%.
const gamma = 1.04

var logGamma = math.Log(gamma)

// Sketch counts durations in logarithmic buckets of microseconds. The zero
// value is an empty sketch ready to use. Sketches are not safe for
// concurrent use.
type Sketch struct {
	counts map[int32]uint64
	zero   uint64 // durations under one microsecond
	n      uint64
}

// Add counts one duration.
func (s *Sketch) Add(d time.Duration) { s.addN(d, 1) }

func (s *Sketch) addN(d time.Duration, n uint64) {
	s.n += n
	us := float64(d) / float64(time.Microsecond)
	if us < 1 {
		s.zero += n
		return
	}
	if s.counts == nil {
		s.counts = make(map[int32]uint64)
	}
	s.counts[int32(math.Ceil(math.Log(us)/logGamma))] += n
}

// Count returns the number of durations counted.
func (s *Sketch) Count() uint64 { return s.n }

// Merge adds every count of o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || o.n == 0 {
		return
	}
	if s.counts == nil {
		s.counts = make(map[int32]uint64, len(o.counts))
	}
	for k, v := range o.counts {
		s.counts[k] += v
	}
	s.zero += o.zero
	s.n += o.n
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the counted durations, or
// 0 if the sketch is empty.
func (s *Sketch) Quantile(q float64) time.Duration {
	if s.n == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(s.n)))
	if rank == 0 {
		rank = 1
	}
	if rank <= s.zero {
		return 0
	}
	seen := s.zero
	for _, k := range s.keys() {
		seen += s.counts[k]
		if seen >= rank {
			// Midpoint (in the relative sense) of (gamma^(k-1), gamma^k].
			us := 2 * math.Pow(gamma, float64(k)) / (gamma + 1)
			return time.Duration(us * float64(time.Microsecond))
		}
	}
	return 0 // unreachable: counts add up to n
}

func (s *Sketch) keys() []int32 {
	ks := make([]int32, 0, len(s.counts))
	for k := range s.counts {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// String encodes the sketch as space-separated "bucket:count" pairs in
// bucket order, with "z:count" first for sub-microsecond durations. Parse
// reads it back. The empty sketch encodes as "".
func (s *Sketch) String() string {
	var b strings.Builder
	if s.zero > 0 {
		b.WriteString("z:")
		b.WriteString(strconv.FormatUint(s.zero, 10))
	}
	for _, k := range s.keys() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(int64(k), 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(s.counts[k], 10))
	}
	return b.String()
}

// Parse decodes a sketch written by String.
func Parse(text string) (*Sketch, error) {
	s := &Sketch{}
	for _, f := range strings.Fields(text) {
		k, v, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("sketch entry %q: want bucket:count", f)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sketch entry %q: count: %w", f, err)
		}
		s.n += n
		if k == "z" {
			s.zero += n
			continue
		}
		b, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("sketch entry %q: bucket: %w", f, err)
		}
		if s.counts == nil {
			s.counts = make(map[int32]uint64)
		}
		s.counts[int32(b)] += n
	}
	return s, nil
}
