package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting from /proc: the report says how the cores were shared
// between wrk, the upstream, the proxy and anything else, because on a
// small machine they compete and a busy machine skews every figure.

// clockTick is USER_HZ, the unit of the CPU times in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTick = time.Second / 100

// groupCPU returns the user+system CPU time used so far by the live
// processes in process group pgid (an nginx master and its workers, or a
// single Go server).
func groupCPU(pgid int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("reading /proc: %w", err)
	}
	var ticks int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// The command name (field 2) may hold spaces; fields after it are
		// plain numbers: state ppid pgrp session ... utime(14) stime(15).
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			continue
		}
		if pg, _ := strconv.Atoi(f[2]); pg != pgid {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += ut + st
	}
	return time.Duration(ticks) * clockTick, nil
}

// machineCPU is a reading of the first line of /proc/stat.
type machineCPU struct{ busy, total int64 }

// readMachineCPU reads the whole machine's CPU counters.
func readMachineCPU() (machineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, fmt.Errorf("reading /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return machineCPU{}, errors.New("reading /proc/stat: unexpected first line")
	}
	var m machineCPU
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest and guest_nice are already counted in user
			break
		}
		m.total += n
		if i != 3 && i != 4 { // idle, iowait
			m.busy += n
		}
	}
	return m, nil
}

// busyFraction returns the share of all CPUs that was busy between two
// readings, from 0 to 1.
func busyFraction(a, b machineCPU) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}

// cpuSample is a reading of the CPU time used so far by the machine and by
// the processes of one moderate-load run.
type cpuSample struct {
	machine machineCPU
	ours    time.Duration // upstream + proxy + the harness itself
}

// sampleCPU reads the machine's CPU counters and the CPU time of the
// upstream, t's proxy and the harness.
func (b *bench) sampleCPU(t *target) (cpuSample, error) {
	var s cpuSample
	var err error
	if s.machine, err = readMachineCPU(); err != nil {
		return s, err
	}
	up, err := groupCPU(b.upstream.pid())
	if err != nil {
		return s, err
	}
	s.ours = up
	if t.proc != b.upstream {
		px, err := groupCPU(t.proc.pid())
		if err != nil {
			return s, err
		}
		s.ours += px
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return s, fmt.Errorf("reading the harness's CPU time: %w", err)
	}
	s.ours += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return s, nil
}

// other returns the CPU time the machine used between a and s on anything
// but the processes sampleCPU counts.
func (s cpuSample) other(a cpuSample) time.Duration {
	d := s.machine.total - a.machine.total // in clock ticks, all cores
	if d <= 0 {
		return 0
	}
	busy := time.Duration(s.machine.busy-a.machine.busy) * clockTick
	return max(busy-(s.ours-a.ours), 0)
}

// quietSample is how long the machine's load is sampled before the run.
const quietSample = 2 * time.Second

// sampleBackground measures how busy the machine is before any server
// starts: other work on the machine skews every figure, so the report
// says how much there was, and the log warns.
func (b *bench) sampleBackground(ctx context.Context) error {
	m0, err := readMachineCPU()
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(quietSample):
	}
	m1, err := readMachineCPU()
	if err != nil {
		return err
	}
	b.background = busyFraction(m0, m1)
	if b.background > 0.10 {
		b.logf("warning: the machine was %.0f%% busy before the run; other programs will skew the figures", b.background*100)
	}
	return nil
}
