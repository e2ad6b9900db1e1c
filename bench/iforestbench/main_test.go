package main

import (
	"math"
	"testing"
)

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"inverse", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{false, true, false, true}, 0.5},
		// Pairs (anomaly, normal): (0.7,0.1) (0.7,0.7 tie) (0.7,0.9) (0.3,0.1) (0.3,0.7) (0.3,0.9)
		// → 1 + 0.5 + 0 + 1 + 0 + 0 = 2.5 of 6.
		{"ties count half", []float64{0.1, 0.7, 0.9, 0.7, 0.3}, []bool{false, false, false, true, true}, 2.5 / 6},
	} {
		if got := auc(tc.scores, tc.labels); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: auc = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestDatasets checks the generated datasets are well formed and hold
// the anomalies they say.
func TestDatasets(t *testing.T) {
	for _, d := range []dataset{blobs(), shifted(), clients()} {
		n := 0
		for i, row := range d.x {
			if len(row) != len(d.x[0]) {
				t.Fatalf("%s: row %d has %d features", d.name, i, len(row))
			}
			if d.labels[i] {
				n++
			}
		}
		if n == 0 || n*10 > len(d.x) {
			t.Errorf("%s: %d anomalies in %d rows; want a few percent", d.name, n, len(d.x))
		}
	}
}
