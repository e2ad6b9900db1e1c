package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestAveragePathLength(t *testing.T) {
	// c(n) = 2 H(n-1) - 2 (n-1)/n with H(i) ≈ ln i + γ (Liu et al. 2008).
	for _, tc := range []struct {
		n    int
		want float64
	}{
		{0, 0}, {1, 0}, {2, 1},
		{3, 2*(math.Log(2)+0.5772156649015329) - 4.0/3},
		{256, 10.244770920116851},
	} {
		if got := averagePathLength(tc.n); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("c(%d) = %v; want %v", tc.n, got, tc.want)
		}
	}
}

// cloud returns n points of a 3-d standard Gaussian.
func cloud(rng *rand.Rand, n int) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		x[i] = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	}
	return x
}

func TestForest_IsolatesPlantedOutliers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := cloud(rng, 1000)
	// Far from the cloud in two or three features. (A point far out in
	// one feature only scores about 0.6 in this forest and in
	// scikit-learn's alike, no higher than the cloud's own extremes.)
	outliers := [][]float64{{7, 7, 0}, {0, -7, 7}, {6, 6, 6}}
	x = append(x, outliers...)
	f, err := FitForest(x, ForestOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, len(x))
	for i, row := range x {
		scores[i] = f.Score(row)
		if scores[i] <= 0 || scores[i] >= 1 {
			t.Fatalf("score %v of row %d is outside (0, 1)", scores[i], i)
		}
	}
	top := slices.Clone(scores)
	slices.Sort(top)
	for i := range outliers {
		s := scores[len(x)-len(outliers)+i]
		if s < top[len(top)-len(outliers)] {
			t.Errorf("outlier %v scores %.3f, below the %d highest scores %v", outliers[i], s, len(outliers), top[len(top)-len(outliers):])
		}
		if s < 0.6 {
			t.Errorf("outlier %v scores %.3f; want well above 0.5", outliers[i], s)
		}
	}
	if c := f.Score([]float64{0, 0, 0}); c > 0.5 {
		t.Errorf("the centre of the cloud scores %.3f; want below 0.5", c)
	}
}

func TestForest_SeedReproduces(t *testing.T) {
	x := cloud(rand.New(rand.NewPCG(2, 2)), 500)
	a, _ := FitForest(x, ForestOptions{Seed: 3})
	b, _ := FitForest(x, ForestOptions{Seed: 3})
	c, _ := FitForest(x, ForestOptions{Seed: 4})
	probe := []float64{2, -1, 0.5}
	if a.Score(probe) != b.Score(probe) {
		t.Errorf("same seed, different scores: %v and %v", a.Score(probe), b.Score(probe))
	}
	if a.Score(probe) == c.Score(probe) {
		t.Errorf("seeds 3 and 4 gave the same score %v; the seed is not used", a.Score(probe))
	}
}

func TestForest_ExplainNamesTheDrivingFeature(t *testing.T) {
	x := cloud(rand.New(rand.NewPCG(3, 3)), 2000)
	f, err := FitForest(x, ForestOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for feat := range 3 {
		row := []float64{0, 0, 0}
		row[feat] = 10
		score, drivers := f.Explain(row)
		if score != f.Score(row) {
			t.Errorf("Explain's score %v differs from Score's %v", score, f.Score(row))
		}
		var sum float64
		for _, d := range drivers {
			sum += d
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("drivers %v sum to %v; want 1", drivers, sum)
		}
		if best := slices.Index(drivers, slices.Max(drivers)); best != feat {
			t.Errorf("a row unusual in feature %d: drivers %v name feature %d", feat, drivers, best)
		}
	}
}

func TestForest_SmallAndConstantData(t *testing.T) {
	// Fewer rows than MaxSamples, and a feature that never varies.
	x := [][]float64{{1, 5}, {2, 5}, {3, 5}, {100, 5}}
	f, err := FitForest(x, ForestOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Score([]float64{100, 5}) <= f.Score([]float64{2, 5}) {
		t.Errorf("the far row scores %v, not above the middle row's %v", f.Score([]float64{100, 5}), f.Score([]float64{2, 5}))
	}
	same := [][]float64{{1, 1}, {1, 1}, {1, 1}}
	g, err := FitForest(same, ForestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Score([]float64{1, 1}); math.IsNaN(s) {
		t.Errorf("identical rows score NaN")
	}
}

func TestFitForest_BadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    [][]float64
		want string
	}{
		{"no rows", nil, "no rows"},
		{"no features", [][]float64{{}}, "no features"},
		{"ragged", [][]float64{{1, 2}, {1}}, "row 1 has 1 features, row 0 has 2"},
		{"NaN", [][]float64{{1, math.NaN()}}, "row 0 feature 1 is NaN"},
		{"Inf", [][]float64{{math.Inf(1)}}, "features must be finite"},
	} {
		if _, err := FitForest(tc.x, ForestOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one saying %q", tc.name, err, tc.want)
		}
	}
}
