package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/bench"
)

// benchUsage is the help text of patchbay bench.
const benchUsage = `usage: patchbay bench [flags]

Measures patch throughput and latency of an embedded Patchbay store side by
side with baselines measured in the same run: raw JetStream async publish, NATS
KV update with expected revision, and the original Redis design on a
redis-server from PATH. Prints a table with ratios to the baselines; writes
JSON, an SVG chart and Go benchmark lines on request.

Scenarios: parallel, serial, fanout, catchup, restart, memory (default: all).

Flags:
`

// benchIntList is a flag.Value holding integers given comma-separated or by
// repeating the flag; sizes accept a k/KB/KiB or m/MB/MiB suffix (x1024).
type benchIntList struct {
	vals []int
	set  bool
}

func (l *benchIntList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.vals))
	for i, v := range l.vals {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

func (l *benchIntList) Set(s string) error {
	if !l.set {
		l.vals, l.set = nil, true
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		lower := strings.ToLower(f)
		for _, suf := range []struct {
			s string
			m int
		}{{"kib", 1 << 10}, {"kb", 1 << 10}, {"k", 1 << 10}, {"mib", 1 << 20}, {"mb", 1 << 20}, {"m", 1 << 20}} {
			if strings.HasSuffix(lower, suf.s) {
				f, mult = f[:len(f)-len(suf.s)], suf.m
				break
			}
		}
		v, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || v < 0 {
			return fmt.Errorf("not a non-negative integer: %q", f)
		}
		l.vals = append(l.vals, v*mult)
	}
	return nil
}

// benchStringList is a repeatable, comma-separated string flag.
type benchStringList []string

func (l *benchStringList) String() string { return strings.Join(*l, ",") }

func (l *benchStringList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*l = append(*l, f)
		}
	}
	return nil
}

func init() {
	register(Command{
		Name:    "bench",
		Summary: "measure patch throughput and latency against JetStream, NATS KV and the Redis design",
		Run: func(ctx context.Context, cio IO, args []string) error {
			return runBench(ctx, args, cio.Stdout, cio.Stderr)
		},
	})
}

// runBench is the bench command: it parses args, runs bench.Run with
// progress on stderr, prints the table (and Go benchmark lines with
// --gobench) on stdout and writes the JSON and SVG files asked for.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("patchbay bench", flag.ContinueOnError)
	var (
		cfg                                      bench.Config
		scenarios                                benchStringList
		sizes, subs, history, storeSizes         benchIntList
		jsonFile, svgFile, cpuProfile            string
		gobench, quiet, fullHistory, noBaselines bool
	)
	fs.Var(&scenarios, "scenario", "scenario to run (repeatable or comma-separated; default all): "+strings.Join(bench.Scenarios, ", "))
	fs.DurationVar(&cfg.Duration, "duration", time.Second, "duration of each measurement")
	fs.Var(&sizes, "size", "document sizes for parallel and serial, e.g. 1KB,64KB (default 1KB,64KB)")
	fs.IntVar(&cfg.Configs, "configs", 1000, "configs the parallel scenario spreads its updates over")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "concurrent submitters in the parallel scenario")
	fs.Var(&subs, "subscribers", "fan-out sizes (default 1,100,1000)")
	fs.Var(&history, "history", "catchup history lengths (default 1,1000,10000)")
	fs.BoolVar(&fullHistory, "full-history", false, "catchup with 1, 1000, 100000 and 1000000 updates (slow: builds them through the store)")
	fs.Var(&storeSizes, "store-sizes", "updates in the store for the restart scenario (default 0,1000,10000)")
	fs.IntVar(&cfg.MemoryConfigs, "memory-configs", 1000, "configs loaded by the memory scenario")
	fs.StringVar(&cfg.RedisServer, "redis-server", "", "redis-server binary for the redis-design baseline (default: from PATH)")
	fs.BoolVar(&noBaselines, "no-baselines", false, "measure patchbay only")
	fs.IntVar(&cfg.StoreWorkers, "store-workers", 0, "request workers of the store under test (default: the store's own default)")
	fs.StringVar(&jsonFile, "json", "", "write the results as JSON to `FILE`")
	fs.StringVar(&svgFile, "svg", "", "write an SVG bar chart to `FILE`")
	fs.BoolVar(&gobench, "gobench", false, "also print Go benchmark-format lines (for benchstat) on stdout")
	fs.BoolVar(&quiet, "quiet", false, "no progress display on stderr")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (store and baselines run in this process) to `FILE`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		fs.SetOutput(stderr)
		fs.Usage()
		return fmt.Errorf("%w: bench: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: bench takes no arguments, got %q", ErrUsage, fs.Args())
	}
	cfg.Scenarios = scenarios
	cfg.Sizes, cfg.Subscribers, cfg.History, cfg.StoreSizes = sizes.vals, subs.vals, history.vals, storeSizes.vals
	if fullHistory {
		cfg.History = bench.FullHistory
	}
	cfg.NoBaselines = noBaselines
	if !quiet {
		cfg.Progress = stderr
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("creating %s: %w", cpuProfile, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("starting CPU profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		if errors.Is(err, bench.ErrUnknownScenario) {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if gobench {
		fmt.Fprintln(stdout)
		if err := rep.WriteGoBench(stdout); err != nil {
			return err
		}
	}
	if jsonFile != "" {
		if err := writeBenchFile(jsonFile, rep.WriteJSON); err != nil {
			return err
		}
	}
	if svgFile != "" {
		if err := writeBenchFile(svgFile, rep.WriteSVG); err != nil {
			return err
		}
	}
	return nil
}

// writeBenchFile creates name and fills it with write.
func writeBenchFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
