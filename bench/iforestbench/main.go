// Command iforestbench compares crmguard's Isolation Forest
// (internal/anomaly) with scikit-learn's on the same data and the same
// parameters, in one run: ROC AUC averaged over seeds, and the time to
// fit and to score. It needs python3 with scikit-learn (Debian's
// python3-sklearn). See bench/README.md.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmguard/crmguard/internal/anomaly"
)

// python is the interpreter that runs scikit-learn.
var python = "python3"

// dataset is rows of features with a label: true for an anomaly.
type dataset struct {
	name   string
	what   string
	x      [][]float64
	labels []bool
}

func main() {
	seeds := flag.Int("seeds", 30, "seeds per dataset: single seeds of a forest differ by a few hundredths of AUC on small data, so the comparison averages many")
	trees := flag.Int("trees", 100, "trees per forest")
	samples := flag.Int("max-samples", 256, "rows per tree")
	out := flag.String("out", "", "also write the report to this file")
	flag.StringVar(&python, "python", "python3", "the Python with scikit-learn (Debian's is /usr/bin/python3)")
	flag.Parse()
	if err := run(*seeds, *trees, *samples, *out); err != nil {
		fmt.Fprintln(os.Stderr, "iforestbench:", err)
		os.Exit(1)
	}
}

// result is one side's figures on one dataset, averaged over seeds.
type result struct {
	AUC     float64 `json:"auc"`
	FitMS   float64 `json:"fit_ms"`
	ScoreMS float64 `json:"score_ms"`
}

func run(seeds, trees, samples int, outPath string) error {
	dir, err := os.MkdirTemp("", "iforestbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sets := []dataset{blobs(), shifted(), clients()}
	if bc, err := breastCancer(dir); err != nil {
		return fmt.Errorf("exporting scikit-learn's breast cancer data: %w (is python3-sklearn installed?)", err)
	} else {
		sets = append(sets, bc)
	}
	var report bytes.Buffer
	fmt.Fprintf(&report, "Isolation Forest, crmguard (Go) vs scikit-learn %s: %d trees, max_samples %d, fit on every row and score every row, %d seeds each (AUC is the mean over seeds; times are the median per run).\n\n",
		sklearnVersion(), trees, samples, seeds)
	tw := tabwriter.NewWriter(&report, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "| dataset\t| rows × features\t| anomalies\t| AUC crmguard\t| AUC scikit-learn\t| Δ AUC\t| fit ms crmguard / sklearn\t| ratio\t| score ms crmguard / sklearn\t| ratio\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|---\t|")
	var worst float64
	for _, d := range sets {
		path := filepath.Join(dir, d.name+".csv")
		if err := writeCSV(path, d); err != nil {
			return err
		}
		g := goSide(d, seeds, trees, samples)
		p, err := pySide(path, seeds, trees, samples)
		if err != nil {
			return err
		}
		delta := g.AUC - p.AUC
		worst = max(worst, math.Abs(delta))
		anomalies := 0
		for _, l := range d.labels {
			if l {
				anomalies++
			}
		}
		fmt.Fprintf(tw, "| %s\t| %d × %d\t| %d\t| %.4f\t| %.4f\t| %+.4f\t| %.1f / %.1f\t| %.2f×\t| %.1f / %.1f\t| %.2f×\t|\n",
			d.name, len(d.x), len(d.x[0]), anomalies, g.AUC, p.AUC, delta, g.FitMS, p.FitMS, g.FitMS/p.FitMS, g.ScoreMS, p.ScoreMS, g.ScoreMS/p.ScoreMS)
	}
	tw.Flush()
	fmt.Fprintf(&report, "\nLargest |Δ AUC|: %.4f (target ≤ 0.01). Ratios are crmguard's time over scikit-learn's: below 1 is faster.\n\nDatasets:\n", worst)
	for _, d := range sets {
		fmt.Fprintf(&report, "- %s: %s\n", d.name, d.what)
	}
	os.Stdout.Write(report.Bytes())
	if outPath != "" {
		return os.WriteFile(outPath, report.Bytes(), 0o644)
	}
	return nil
}

// goSide fits and scores with crmguard's forest.
func goSide(d dataset, seeds, trees, samples int) result {
	var r result
	var fits, scores []float64
	for s := range seeds {
		start := time.Now()
		f, err := anomaly.FitForest(d.x, anomaly.ForestOptions{Trees: trees, MaxSamples: samples, Seed: uint64(s)})
		if err != nil {
			panic(err) // the datasets are generated here and well formed
		}
		fits = append(fits, ms(time.Since(start)))
		start = time.Now()
		sc := make([]float64, len(d.x))
		for i, row := range d.x {
			sc[i] = f.Score(row)
		}
		scores = append(scores, ms(time.Since(start)))
		r.AUC += auc(sc, d.labels) / float64(seeds)
	}
	r.FitMS, r.ScoreMS = median(fits), median(scores)
	return r
}

// pyScript fits scikit-learn's IsolationForest with the same parameters
// and prints the mean AUC and the median times as JSON.
const pyScript = `
import json, sys, time, statistics
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
path, seeds, trees, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = np.loadtxt(path, delimiter=",")
X, y = data[:, :-1], data[:, -1]
aucs, fits, scores = [], [], []
for s in range(seeds):
    t = time.perf_counter()
    f = IsolationForest(n_estimators=trees, max_samples=min(samples, len(X)), random_state=s).fit(X)
    fits.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    sc = -f.score_samples(X)
    scores.append((time.perf_counter() - t) * 1000)
    aucs.append(roc_auc_score(y, sc))
print(json.dumps({"auc": sum(aucs) / len(aucs), "fit_ms": statistics.median(fits), "score_ms": statistics.median(scores)}))
`

func pySide(path string, seeds, trees, samples int) (result, error) {
	cmd := exec.Command(python, "-c", pyScript, path, strconv.Itoa(seeds), strconv.Itoa(trees), strconv.Itoa(samples))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outB, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("scikit-learn side: %v\n%s", err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(outB, &r); err != nil {
		return r, fmt.Errorf("scikit-learn side printed %q: %w", outB, err)
	}
	return r, nil
}

func sklearnVersion() string {
	b, err := exec.Command(python, "-c", "import sklearn; print(sklearn.__version__)").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(b))
}

// breastCancer exports scikit-learn's bundled Wisconsin breast cancer
// data (569 × 30, real measurements), malignant tumours as the anomalies.
func breastCancer(dir string) (dataset, error) {
	path := filepath.Join(dir, "breast_cancer_src.csv")
	script := `
import sys, numpy as np
from sklearn.datasets import load_breast_cancer
d = load_breast_cancer()
np.savetxt(sys.argv[1], np.column_stack([d.data, (d.target == 0).astype(float)]), delimiter=",")
`
	if out, err := exec.Command(python, "-c", script, path).CombinedOutput(); err != nil {
		return dataset{}, fmt.Errorf("%v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		return dataset{}, err
	}
	defer f.Close()
	d := dataset{name: "breast_cancer", what: "scikit-learn's bundled Wisconsin breast cancer measurements (real data, 30 features); malignant tumours are the anomalies"}
	r := csv.NewReader(f)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, err
		}
		row := make([]float64, len(rec)-1)
		for i := range row {
			if row[i], err = strconv.ParseFloat(rec[i], 64); err != nil {
				return d, err
			}
		}
		d.x = append(d.x, row)
		d.labels = append(d.labels, rec[len(rec)-1] != "0.000000000000000000e+00")
	}
	return d, nil
}

// blobs: three Gaussian clusters in 2-d and uniform noise around them.
func blobs() dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	d := dataset{name: "blobs", what: "3 Gaussian clusters in 2 dimensions (3000 rows) and 150 points uniform over the surrounding box"}
	centres := [][2]float64{{0, 0}, {6, 2}, {2, 7}}
	for i := range 3000 {
		c := centres[i%3]
		d.x = append(d.x, []float64{c[0] + rng.NormFloat64(), c[1] + rng.NormFloat64()})
		d.labels = append(d.labels, false)
	}
	for range 150 {
		d.x = append(d.x, []float64{-6 + 18*rng.Float64(), -6 + 19*rng.Float64()})
		d.labels = append(d.labels, true)
	}
	return d
}

// shifted: 10-d correlated Gaussian with anomalies shifted in 3 features.
func shifted() dataset {
	rng := rand.New(rand.NewPCG(3, 4))
	d := dataset{name: "shifted", what: "10-dimensional Gaussian (5000 rows, half the features driven by a shared factor); 250 anomalies shifted by 3 standard deviations in 3 random features"}
	for i := range 5250 {
		common := rng.NormFloat64()
		row := make([]float64, 10)
		for j := range row {
			row[j] = rng.NormFloat64()
			if j < 5 {
				row[j] += common
			}
		}
		anomalous := i >= 5000
		if anomalous {
			for _, j := range rng.Perm(10)[:3] {
				row[j] += 3 * (1 - 2*float64(rng.IntN(2)))
			}
		}
		d.x = append(d.x, row)
		d.labels = append(d.labels, anomalous)
	}
	return d
}

// clients: per-client behaviour over an hour, the features crmguard's
// detector uses: calls, error share, read share, distinct records,
// bulk-export rows, off-hours share. A few clients behave unusually: one
// reads the whole customer base, one fails most of its calls, one works
// only at night.
func clients() dataset {
	rng := rand.New(rand.NewPCG(5, 6))
	d := dataset{name: "crm_clients", what: "per-client hourly behaviour (calls, error share, read share, distinct records, bulk-export rows, off-hours share) of 4000 normal client-hours; 120 unusual ones: bulk readers, failing integrations, night-only activity"}
	row := func(calls, errShare, read, distinct, bulk, night float64) []float64 {
		return []float64{math.Log1p(calls), errShare, read, math.Log1p(distinct), math.Log1p(bulk), night}
	}
	for i := range 4120 {
		calls := math.Exp(5 + 0.8*rng.NormFloat64())
		errShare := math.Min(1, math.Abs(0.02+0.01*rng.NormFloat64()))
		read := math.Min(1, math.Max(0, 0.7+0.1*rng.NormFloat64()))
		distinct := calls * (0.3 + 0.2*rng.Float64())
		bulk := math.Max(0, 50*rng.NormFloat64())
		night := math.Min(1, math.Abs(0.05*rng.NormFloat64()))
		anomalous := i >= 4000
		if anomalous {
			switch i % 3 {
			case 0: // reads the whole customer base
				read, distinct, bulk = 0.99, calls*(0.95+0.05*rng.Float64())*20, 50000+10000*rng.Float64()
			case 1: // a failing integration
				errShare = 0.4 + 0.4*rng.Float64()
			case 2: // active at night only
				night = 0.9 + 0.1*rng.Float64()
			}
		}
		d.x = append(d.x, row(calls, errShare, read, distinct, bulk, night))
		d.labels = append(d.labels, anomalous)
	}
	return d
}

func writeCSV(path string, d dataset) error {
	var b strings.Builder
	for i, row := range d.x {
		for _, v := range row {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			b.WriteByte(',')
		}
		if d.labels[i] {
			b.WriteString("1\n")
		} else {
			b.WriteString("0\n")
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// auc is the ROC AUC of scores against labels: the probability that an
// anomaly scores above a normal row, ties counting half (Mann-Whitney).
func auc(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64
	var pos, neg float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += rank
			}
		}
		i = j
	}
	for _, l := range labels {
		if l {
			pos++
		} else {
			neg++
		}
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}
