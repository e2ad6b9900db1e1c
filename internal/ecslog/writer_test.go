package ecslog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/incident"
)

// seqDoc is a test document whose lines all have the same length,
// lineLen bytes, so that file sizes and rotation points can be counted.
type seqDoc struct {
	Seq string `json:"seq"`
}

func seq(i int) seqDoc { return seqDoc{Seq: fmt.Sprintf("%04d", i)} }

var lineLen = int64(len(`{"seq":"0000"}` + "\n"))

// seqs returns the sequence numbers of the lines of the file at path,
// failing the test on any line that is not a whole seqDoc.
func seqs(t *testing.T, path string) []int {
	t.Helper()
	var out []int
	for i, line := range readLines(t, path) {
		var d seqDoc
		if err := json.Unmarshal(line, &d); err != nil || d.Seq == "" {
			t.Fatalf("%s line %d is not a whole document: %q", path, i+1, line)
		}
		var n int
		if _, err := fmt.Sscanf(d.Seq, "%d", &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func open(t *testing.T, o Options) *Writer {
	t.Helper()
	w, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, w *Writer, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := w.Write(seq(i)); err != nil {
			t.Fatalf("writing %d: %v", i, err)
		}
	}
}

func wantSeqs(t *testing.T, path string, want []int) {
	t.Helper()
	if got := seqs(t, path); !slices.Equal(got, want) {
		t.Errorf("%s holds %v; want %v", filepath.Base(path), got, want)
	}
}

func wantMissing(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists (err %v); want it gone", filepath.Base(path), err)
	}
}

func span(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestWriter_Rotation writes 20 lines into files that hold exactly 3
// (3 lines fill MaxSize without exceeding it), keeping 2 rotated files:
// lines 0–11 went to files since deleted, 12–14 are in path.2, 15–17 in
// path.1 and 18–19 in path.
func TestWriter_Rotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path, MaxSize: 3 * lineLen, MaxFiles: 2})
	write(t, w, 0, 20)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, path, span(18, 20))
	wantSeqs(t, path+".1", span(15, 18))
	wantSeqs(t, path+".2", span(12, 15))
	wantMissing(t, path+".3")

	total := 0
	for _, p := range []string{path, path + ".1", path + ".2"} {
		total += len(seqs(t, p))
	}
	if want := 20 - 4*3; total != want {
		t.Errorf("%d lines kept; want %d (20 written, 4 files of 3 deleted)", total, want)
	}
}

func TestWriter_LineLongerThanMaxSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path, MaxSize: lineLen / 2, MaxFiles: 5})
	write(t, w, 0, 3)
	wantSeqs(t, path, []int{2})
	wantSeqs(t, path+".1", []int{1})
	wantSeqs(t, path+".2", []int{0})
	wantMissing(t, path+".3")
}

func TestWriter_MaxFilesZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path, MaxSize: 2 * lineLen})
	write(t, w, 0, 5)
	wantSeqs(t, path, []int{4})
	wantMissing(t, path+".1")
}

func TestWriter_NoRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path, MaxFiles: 3})
	write(t, w, 0, 50)
	wantSeqs(t, path, span(0, 50))
	wantMissing(t, path+".1")
}

// TestWriter_RemovesLeftoverRotations: files numbered above MaxFiles,
// left by a larger setting, go at the next rotation; files that only
// look similar stay.
func TestWriter_RemovesLeftoverRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ecs.ndjson")
	for _, name := range []string{"ecs.ndjson.3", "ecs.ndjson.7", "ecs.ndjson.01", "ecs.ndjson.x", "other.ndjson.3"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	w := open(t, Options{Path: path, MaxSize: lineLen, MaxFiles: 2})
	write(t, w, 0, 2)
	wantMissing(t, path+".3")
	wantMissing(t, path+".7")
	for _, name := range []string{"ecs.ndjson.01", "ecs.ndjson.x", "other.ndjson.3"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v; want it kept", name, err)
		}
	}
	wantSeqs(t, path, []int{1})
	wantSeqs(t, path+".1", []int{0})
}

// TestWriter_ReopenAppends: a reopened file is continued, and its size
// counts towards MaxSize.
func TestWriter_ReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	o := Options{Path: path, MaxSize: 3 * lineLen, MaxFiles: 2}
	w := open(t, o)
	write(t, w, 0, 2)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = open(t, o)
	write(t, w, 2, 4)
	wantSeqs(t, path+".1", span(0, 3))
	wantSeqs(t, path, []int{3})
}

// TestWriter_ReopenEndsPartialLine: when crmguard stopped in the middle of
// a line, the next line still starts on a line of its own.
func TestWriter_ReopenEndsPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	if err := os.WriteFile(path, []byte(`{"seq":"0000"}`+"\n"+`{"seq":"00`), 0o640); err != nil {
		t.Fatal(err)
	}
	w := open(t, Options{Path: path})
	write(t, w, 1, 2)
	lines := readLines(t, path)
	if len(lines) != 3 {
		t.Fatalf("got %d lines; want 3: the whole one, the partial one, the new one", len(lines))
	}
	if string(lines[1]) != `{"seq":"00` {
		t.Errorf("line 2 = %q; want the partial line, ended", lines[1])
	}
	if string(lines[2]) != `{"seq":"0001"}` {
		t.Errorf("line 3 = %q; want the new line whole", lines[2])
	}
}

// TestWriter_Concurrent writes from many goroutines while the file
// rotates: every line arrives exactly once, whole. Run with -race.
func TestWriter_Concurrent(t *testing.T) {
	const goroutines, each = 8, 150
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	// Enough rotated files to keep everything, so that every line can
	// be accounted for.
	w := open(t, Options{Path: path, MaxSize: 40 * lineLen, MaxFiles: goroutines * each / 40 * 2})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := w.Write(seq(g*each + i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob(path + "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("got %d files; want rotation to have happened", len(files))
	}
	count := map[int]int{}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > 40*lineLen {
			t.Errorf("%s: size %d; want at most %d", f, info.Size(), 40*lineLen)
		}
		for _, n := range seqs(t, f) {
			count[n]++
		}
	}
	for n := range goroutines * each {
		if count[n] != 1 {
			t.Errorf("line %d written %d times; want once", n, count[n])
		}
	}
	if len(count) != goroutines*each {
		t.Errorf("got %d distinct lines; want %d", len(count), goroutines*each)
	}
}

// TestWriter_RotationFailure: when the rotated file's name is taken by a
// directory that cannot be removed, Write fails and writes nothing, the
// writer keeps the old file, and rotation succeeds once the way is clear.
func TestWriter_RotationFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ecs.ndjson")
	blocker := path + ".1"
	if err := os.MkdirAll(filepath.Join(blocker, "keep"), 0o750); err != nil {
		t.Fatal(err)
	}
	w := open(t, Options{Path: path, MaxSize: lineLen, MaxFiles: 1})
	write(t, w, 0, 1)
	if err := w.Write(seq(1)); err == nil {
		t.Fatal("Write succeeded while path.1 was a non-empty directory; want a rotation error")
	}
	wantSeqs(t, path, []int{0})
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	write(t, w, 2, 3)
	wantSeqs(t, path, []int{2})
	wantSeqs(t, blocker, []int{0})
}

func TestWriter_Closed(t *testing.T) {
	w := open(t, Options{Path: filepath.Join(t.TempDir(), "ecs.ndjson")})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(seq(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v; want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v; want nil", err)
	}
}

func TestWriter_UnencodableWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path})
	if err := w.Write(map[string]any{"c": make(chan int)}); err == nil {
		t.Error("Write of a channel succeeded; want an encoding error")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != 0 {
		t.Errorf("file size %d; want 0", info.Size())
	}
}

// TestWriter_Stamps: documents without @timestamp get Options.Now, in
// UTC; call documents keep their start.
func TestWriter_Stamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	now := time.Date(2025, 3, 4, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	w := open(t, Options{Path: path, Now: func() time.Time { return now }})
	inc := Incident(incident.Incident{Fingerprint: "f", Class: fault.Server, Count: 1}, ActionIncidentOpened)
	for _, d := range []any{inc, &inc, Call(&call.Call{ID: "c", Start: t0, Class: fault.OK})} {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"2025-03-04T12:00:00Z", "2025-03-04T12:00:00Z", "2025-03-04T09:20:30.123456789Z"}
	for i, line := range readLines(t, path) {
		var got struct {
			Timestamp string `json:"@timestamp"`
		}
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatal(err)
		}
		if got.Timestamp != want[i] {
			t.Errorf("line %d @timestamp = %q; want %q", i+1, got.Timestamp, want[i])
		}
	}
	if _, ok := fields(t, inc)["@timestamp"]; ok {
		t.Error("writing a *Doc stamped the caller's Doc; want it left unchanged")
	}
}

func TestWriter_NoHTMLEscaping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.ndjson")
	w := open(t, Options{Path: path})
	if err := w.Write(map[string]string{"message": "<email> & co"}); err != nil {
		t.Fatal(err)
	}
	if got, want := string(readLines(t, path)[0]), `{"message":"<email> & co"}`; got != want {
		t.Errorf("line = %s; want %s", got, want)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		o       Options
		wantErr bool
	}{
		{"no path", Options{}, true},
		{"negative size", Options{Path: filepath.Join(dir, "a"), MaxSize: -1}, true},
		{"negative files", Options{Path: filepath.Join(dir, "b"), MaxFiles: -1}, true},
		{"missing directories are created", Options{Path: filepath.Join(dir, "x", "y", "ecs.ndjson")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Open(tc.o)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Open: %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			defer w.Close()
			// The umask may take permissions away, never add them.
			for path, most := range map[string]os.FileMode{tc.o.Path: 0o640, filepath.Dir(tc.o.Path): 0o750} {
				info, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if extra := info.Mode().Perm() &^ most; extra != 0 {
					t.Errorf("%s mode %v; want at most %v", path, info.Mode().Perm(), most)
				}
			}
		})
	}
}

func TestOpen_ErrorNamesPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "ecs.ndjson") // a directory that is a file
	_, err := Open(Options{Path: path})
	if err == nil {
		t.Fatal("Open under a regular file succeeded; want an error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}
