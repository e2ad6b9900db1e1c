package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPU profile for -profile.
//
// crmguard has no pprof endpoint, and the harness must not add one, so
// the profile is taken from outside with Linux perf: `perf record -g -p
// PID` samples the unmodified binary being measured (Go keeps frame
// pointers, so call graphs need no extra flags, and the binary's symbol
// table names the functions). perf's own cost is a few percent of one
// core, paid only in the profiled run.

// perfRun is a perf record in progress.
type perfRun struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	bin    string
	data   string // perf.data path
	report string // text report path
}

// startPerf starts sampling process pid for d into dir.
func startPerf(bin, dir string, pid int, d time.Duration) (*perfRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the profile directory: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("creating the profile directory: %w", err)
	}
	p := &perfRun{
		bin:    bin,
		data:   filepath.Join(abs, "crmguard.perf.data"),
		report: filepath.Join(abs, "crmguard-perf-report.txt"),
	}
	// `-- sleep N` bounds the recording to the measured run; 999 Hz avoids
	// sampling in lockstep with 1 kHz timers.
	p.cmd = exec.Command(bin, "record", "-F", "999", "-g", "-p", strconv.Itoa(pid), "-o", p.data,
		"--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting perf record: %w", err)
	}
	return p, nil
}

// finish waits for perf record to end, writes a flat text report next to
// perf.data, and returns a line for the report naming both files.
func (p *perfRun) finish(ctx context.Context) (string, error) {
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("perf record: %w\n%s", err, p.stderr.String())
		}
	case <-ctx.Done():
		killGroup(p.cmd.Process.Pid, syscall.SIGINT)
		<-done
		return "", ctx.Err()
	}
	// First the split between crmguard's code, the kernel and libraries,
	// then the hottest functions.
	var report []byte
	for _, sortKey := range []string{"dso", "dso,symbol"} {
		out, err := exec.CommandContext(ctx, p.bin, "report", "-i", p.data, "--stdio",
			"--no-children", "--sort", sortKey, "-g", "none", "--percent-limit", "0.5").Output()
		if err != nil {
			return "", fmt.Errorf("perf report -i %s --sort %s: %w", p.data, sortKey, err)
		}
		report = append(report, out...)
	}
	if err := os.WriteFile(p.report, report, 0o644); err != nil {
		return "", fmt.Errorf("writing the profile report: %w", err)
	}
	return fmt.Sprintf("CPU profile of crmguard during its round-1 measured wrk run (perf record -F 999 -g): "+
		"`%s`; flat report `%s` (open the data with `perf report -i %s`). That round ran with perf attached.",
		p.data, p.report, p.data), nil
}
