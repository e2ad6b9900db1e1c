package ecslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("ECS log writer is closed")

// Options configures a Writer.
type Options struct {
	// Path is the log file. Its directory is created (mode 0750) when
	// missing; the file is created (mode 0640) or appended to.
	Path string
	// MaxSize is how large, in bytes, the file may grow: before a line
	// that would take it past MaxSize is written, the file is rotated. A
	// line longer than MaxSize on its own is still written, alone, to a
	// fresh file, since a line is never split. 0 never rotates.
	MaxSize int64
	// MaxFiles is how many rotated files are kept: Path.1 (the newest)
	// to Path.MaxFiles. Rotating deletes the oldest, and any numbered
	// above MaxFiles left by an earlier setting. 0 keeps none: the full
	// file is deleted when it rotates.
	MaxFiles int
	// Now stamps the documents that carry no @timestamp of their own
	// (incident and alert documents); it may be called from concurrent
	// Writes. Nil means time.Now.
	Now func() time.Time
}

// Writer appends documents to an NDJSON file, one JSON object a line,
// and rotates the file by size. Rotation renames the file to Path.1
// (shifting older ones up) and opens a new Path, rather than copying and
// truncating: a shipper that follows files by identity, such as
// Filebeat's filestream input, keeps reading the renamed file to its end
// and starts on the new one, losing nothing and reading nothing twice.
// A Writer is safe for concurrent use.
type Writer struct {
	o Options

	mu     sync.Mutex
	f      *os.File // nil after a failed reopen, until Write reopens it
	size   int64
	broken bool // the file ends in a partial line that could not be cut off
	closed bool
}

// Open opens the log file o.Path for appending, creating it and its
// directory when missing. An existing file is continued: its size counts
// towards MaxSize, and if it ends in a partial line (crmguard stopped in
// the middle of a write) a newline is added first so that the next line
// is whole.
func Open(o Options) (*Writer, error) {
	switch {
	case o.Path == "":
		return nil, errors.New("opening ECS log: no path given; set the log file's path")
	case o.MaxSize < 0:
		return nil, fmt.Errorf("opening ECS log %s: max size %d is negative; give a size in bytes, or 0 to never rotate", o.Path, o.MaxSize)
	case o.MaxFiles < 0:
		return nil, fmt.Errorf("opening ECS log %s: max files %d is negative; give how many rotated files to keep, or 0 for none", o.Path, o.MaxFiles)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o750); err != nil {
		return nil, fmt.Errorf("opening ECS log %s: creating its directory: %w; check that crmguard may write to the parent directory", o.Path, err)
	}
	f, size, err := openFile(o.Path)
	if err != nil {
		return nil, err
	}
	return &Writer{o: o, f: f, size: size}, nil
}

// openFile opens path for appending and returns its size, ending a
// partial last line first.
func openFile(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, 0, fmt.Errorf("opening ECS log %s: %w; check the file's and its directory's permissions", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("opening ECS log %s: %w", path, err)
	}
	size := fi.Size()
	if size > 0 {
		last := make([]byte, 1)
		n, err := f.ReadAt(last, size-1)
		if err != nil && !errors.Is(err, io.EOF) {
			f.Close()
			return nil, 0, fmt.Errorf("opening ECS log %s: reading its last byte: %w", path, err)
		}
		if n == 1 && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return nil, 0, fmt.Errorf("opening ECS log %s: ending its partial last line: %w; check free disk space", path, err)
			}
			size++
		}
	}
	return f, size, nil
}

// Write appends doc as one JSON line. A Doc without @timestamp is
// stamped with Options.Now. The line is encoded in full before anything
// is written and goes to the file in one write, so that lines never
// interleave or split. A write that fails part way is cut back to the
// previous line; should even that fail, the next line starts with a
// newline, so that only the one broken line is lost. Write returns an
// error, and the document is not in the log, when doc cannot be encoded,
// the file cannot be rotated or reopened, or the write fails; the next
// Write tries again.
func (w *Writer) Write(doc any) error {
	line, err := w.encode(doc)
	if err != nil {
		return fmt.Errorf("writing to ECS log %s: encoding %T: %w", w.o.Path, doc, err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("writing to ECS log %s: %w", w.o.Path, ErrClosed)
	}
	if w.f == nil {
		f, size, err := openFile(w.o.Path)
		if err != nil {
			return err
		}
		w.f, w.size, w.broken = f, size, false
	}
	if w.o.MaxSize > 0 && w.size > 0 && w.size+int64(len(line)) > w.o.MaxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	if w.broken {
		// End the partial line left by a failed write, so that this
		// line at least is whole.
		line = append([]byte{'\n'}, line...)
	}
	n, err := w.f.Write(line)
	if err != nil {
		if n > 0 {
			// The file is appended to by this writer alone, so cutting
			// it back to the size before the write removes exactly the
			// partial line.
			if terr := w.f.Truncate(w.size); terr != nil {
				w.size += int64(n)
				w.broken = true
			}
		}
		return fmt.Errorf("writing to ECS log %s: %w; check free disk space", w.o.Path, err)
	}
	w.size += int64(n)
	w.broken = false
	return nil
}

// encode returns doc's JSON line, newline included. HTML characters are
// left as they are (encoding/json would write < as \u003c): the file is
// read by people as well as by Filebeat.
func (w *Writer) encode(doc any) ([]byte, error) {
	switch d := doc.(type) {
	case Doc:
		doc = w.stamp(d).d
	case *Doc:
		if d != nil {
			doc = w.stamp(*d).d
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (w *Writer) stamp(d Doc) Doc {
	if d.d.Timestamp.IsZero() {
		d.d.Timestamp = w.o.Now().UTC()
	}
	return d
}

// rotate closes the file, shifts the rotated files up by one, renames
// the file to Path.1 and opens a new one. When shifting fails the old
// file is reopened, so the writer keeps working and tries again on the
// next Write.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		w.f = nil
		return fmt.Errorf("rotating ECS log %s: closing it: %w", w.o.Path, err)
	}
	w.f = nil
	shiftErr := w.shift()
	f, size, err := openFile(w.o.Path)
	if err != nil {
		return fmt.Errorf("rotating ECS log: %w", err)
	}
	w.f, w.size, w.broken = f, size, false
	return shiftErr
}

// shift deletes the rotated files numbered MaxFiles and above, renames
// Path.i to Path.i+1 from the oldest kept down, and Path to Path.1; with
// MaxFiles 0 it deletes Path.
func (w *Writer) shift() error {
	p, keep := w.o.Path, w.o.MaxFiles
	if err := removeRotated(p, keep); err != nil {
		return err
	}
	if keep == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating ECS log %s: deleting it: %w; check the directory's permissions", p, err)
		}
		return nil
	}
	for i := keep - 1; i >= 1; i-- {
		if err := os.Rename(rotated(p, i), rotated(p, i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating ECS log %s: %w; check the directory's permissions", p, err)
		}
	}
	if err := os.Rename(p, rotated(p, 1)); err != nil {
		return fmt.Errorf("rotating ECS log %s: %w; check the directory's permissions", p, err)
	}
	return nil
}

// removeRotated deletes Path.n for every n >= from. It lists the
// directory rather than counting up from `from`, so that files left by a
// larger MaxFiles go too, gaps or not.
func removeRotated(path string, from int) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("rotating ECS log %s: listing its directory: %w", path, err)
	}
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || n < from || n < 1 || strconv.Itoa(n) != suffix {
			continue
		}
		if err := os.Remove(rotated(path, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotating ECS log %s: deleting %s: %w; check the directory's permissions", path, e.Name(), err)
		}
	}
	return nil
}

// rotated returns the name of the nth rotated file.
func rotated(path string, n int) string {
	return path + "." + strconv.Itoa(n)
}

// Close closes the file. Write fails with ErrClosed afterwards; a second
// Close does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("closing ECS log %s: %w", w.o.Path, err)
	}
	return nil
}
