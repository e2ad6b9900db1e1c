// Package anomaly finds unusual behaviour in what crmguard records. It
// holds an Isolation Forest (Liu, Ting and Zhou, 2008) for multivariate
// outliers, such as a client whose hour of calls looks like no other's,
// with the features that drove each score.
package anomaly

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// ForestOptions configure an Isolation Forest. Zero fields take the
// defaults of Liu, Ting and Zhou (2008), which scikit-learn's
// IsolationForest shares.
type ForestOptions struct {
	// Trees is the number of isolation trees. Default 100.
	Trees int
	// MaxSamples is how many rows each tree is grown on, drawn without
	// replacement; at most the number of rows. Default 256.
	MaxSamples int
	// Seed makes the forest reproducible.
	Seed uint64
}

// Forest is a fitted Isolation Forest: anomalies are the points that
// random axis-parallel splits isolate in few steps.
type Forest struct {
	trees    []*node
	features int
	samples  int // rows each tree was grown on
}

// node is a split (left and right set) or a leaf; size is how many
// training rows reached it.
type node struct {
	feature     int
	threshold   float64
	left, right *node
	size        int
}

// FitForest grows a forest on the rows of x, which must all have the
// same number of features.
func FitForest(x [][]float64, o ForestOptions) (*Forest, error) {
	if len(x) == 0 {
		return nil, errors.New("isolation forest: no rows to fit")
	}
	f := len(x[0])
	if f == 0 {
		return nil, errors.New("isolation forest: rows have no features")
	}
	for i, row := range x {
		if len(row) != f {
			return nil, fmt.Errorf("isolation forest: row %d has %d features, row 0 has %d", i, len(row), f)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("isolation forest: row %d feature %d is %v; features must be finite", i, j, v)
			}
		}
	}
	if o.Trees <= 0 {
		o.Trees = 100
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = 256
	}
	psi := min(o.MaxSamples, len(x))
	maxDepth := int(math.Ceil(math.Log2(float64(max(psi, 2)))))
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	forest := &Forest{features: f, samples: psi}
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	for range o.Trees {
		// A partial Fisher-Yates shuffle draws psi rows without
		// replacement.
		for i := range psi {
			j := i + rng.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		sample := append([]int(nil), idx[:psi]...)
		forest.trees = append(forest.trees, grow(x, sample, 0, maxDepth, rng))
	}
	return forest, nil
}

// grow builds a tree on the rows rows of x: a random feature among those
// that vary in the node, split at a uniform point between its extremes,
// until one row is left or the depth limit is reached.
func grow(x [][]float64, rows []int, depth, maxDepth int, rng *rand.Rand) *node {
	if len(rows) <= 1 || depth >= maxDepth {
		return &node{size: len(rows)}
	}
	f := len(x[rows[0]])
	// Try the features in a random order until one varies.
	order := rng.Perm(f)
	for _, feat := range order {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range rows {
			lo, hi = min(lo, x[r][feat]), max(hi, x[r][feat])
		}
		if hi <= lo {
			continue
		}
		t := lo + rng.Float64()*(hi-lo)
		var left, right []int
		for _, r := range rows {
			if x[r][feat] < t {
				left = append(left, r)
			} else {
				right = append(right, r)
			}
		}
		return &node{feature: feat, threshold: t, size: len(rows),
			left:  grow(x, left, depth+1, maxDepth, rng),
			right: grow(x, right, depth+1, maxDepth, rng)}
	}
	return &node{size: len(rows)} // every feature is constant here
}

// averagePathLength is c(n), the average path length of an unsuccessful
// search in a binary search tree of n points, which normalises depths.
func averagePathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	const euler = 0.5772156649015329
	m := float64(n - 1)
	return 2*(math.Log(m)+euler) - 2*m/float64(n)
}

// Score returns the anomaly score of a row, 2^(-E[h(x)]/c(ψ)): near 1 for
// points isolated in few steps, about 0.5 and below for normal ones.
func (f *Forest) Score(row []float64) float64 {
	s, _ := f.explain(row, false)
	return s
}

// Explain returns the row's score and each feature's share in isolating
// it: every split on the row's paths is credited with the training rows
// it separated from the row, so the features that cut the row off from
// most of the data drove its score. The shares sum to 1 (all 0 when no
// split was needed).
func (f *Forest) Explain(row []float64) (score float64, drivers []float64) {
	return f.explain(row, true)
}

func (f *Forest) explain(row []float64, attribute bool) (float64, []float64) {
	var total float64
	var credit []float64
	if attribute {
		credit = make([]float64, f.features)
	}
	for _, t := range f.trees {
		depth := 0
		n := t
		for n.left != nil {
			next := n.right
			if row[n.feature] < n.threshold {
				next = n.left
			}
			if attribute {
				credit[n.feature] += float64(n.size - next.size)
			}
			n = next
			depth++
		}
		total += float64(depth) + averagePathLength(n.size)
	}
	mean := total / float64(len(f.trees))
	score := math.Pow(2, -mean/averagePathLength(f.samples))
	if attribute {
		var sum float64
		for _, c := range credit {
			sum += c
		}
		for i := range credit {
			if sum > 0 {
				credit[i] /= sum
			}
		}
	}
	return score, credit
}
