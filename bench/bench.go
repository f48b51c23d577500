package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Scenario names accepted in Config.Scenarios, in the order Run measures them.
const (
	ScenarioParallel = "parallel"
	ScenarioSerial   = "serial"
	ScenarioFanout   = "fanout"
	ScenarioCatchup  = "catchup"
	ScenarioRestart  = "restart"
	ScenarioMemory   = "memory"
)

// System names used in Result.System.
const (
	SystemPatchbay    = "patchbay"
	SystemJetStream   = "jetstream"
	SystemNATSKV      = "natskv"
	SystemRedisDesign = "redis-design"
)

// Scenarios lists every scenario name in the order Run measures them.
var Scenarios = []string{ScenarioParallel, ScenarioSerial, ScenarioFanout, ScenarioCatchup, ScenarioRestart, ScenarioMemory}

// ErrUnknownScenario is returned by Run (wrapped) when Config.Scenarios names
// a scenario that does not exist.
var ErrUnknownScenario = errors.New("unknown scenario")

// FullHistory is the history sizes of the catchup scenario that the brief of
// the design asks for; Config.History defaults to a smaller set so a default
// run finishes in about a minute.
var FullHistory = []int{1, 1_000, 100_000, 1_000_000}

// Config selects what Run measures. Its zero value runs every scenario with
// the defaults given on each field.
type Config struct {
	// Scenarios to run, by name (see Scenarios); empty means all.
	Scenarios []string
	// Duration of each measurement (one scenario, system and parameter set);
	// zero means 1s.
	Duration time.Duration
	// Sizes are the document sizes in bytes for parallel and serial: each
	// update sets /data to a fresh string of about this size, so the patch and
	// the document are both about this big. Empty means 1 KiB and 64 KiB.
	Sizes []int
	// Configs is the number of configurations the parallel scenario spreads
	// its updates over (one NATS KV key each for the baseline); zero means 1000.
	Configs int
	// Concurrency is the number of concurrent submitters in parallel; zero
	// means 64.
	Concurrency int
	// Subscribers are the fan-out sizes; empty means 1, 100 and 1000.
	Subscribers []int
	// History are the history lengths of the catchup scenario; empty means 1,
	// 1000 and 10000 (FullHistory is the complete set).
	History []int
	// StoreSizes are the numbers of updates in the store for the restart
	// scenario; empty means 0, 1000 and 10000.
	StoreSizes []int
	// MemoryConfigs is the number of configurations loaded by the memory
	// scenario; zero means 1000.
	MemoryConfigs int
	// RedisServer is the redis-server binary for the redis-design baseline;
	// "" looks it up on PATH. When none is found the baseline is reported as
	// skipped with the reason.
	RedisServer string
	// StoreWorkers is passed to eventstore.Options.Workers (request
	// workers of the store); zero means the store's default.
	StoreWorkers int
	// NoBaselines measures the patchbay system only.
	NoBaselines bool
	// Progress receives progress lines while Run works (stderr in the CLI);
	// nil means none.
	Progress io.Writer
	// TempDir is where the stores' data directories are made; "" means
	// os.TempDir(). Each scenario removes its directory when it ends.
	TempDir string
	// Logger receives the embedded servers' logs; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if len(c.Scenarios) == 0 {
		c.Scenarios = Scenarios
	}
	if c.Duration <= 0 {
		c.Duration = time.Second
	}
	if len(c.Sizes) == 0 {
		c.Sizes = []int{1 << 10, 64 << 10}
	}
	if c.Configs <= 0 {
		c.Configs = 1000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if len(c.Subscribers) == 0 {
		c.Subscribers = []int{1, 100, 1000}
	}
	if len(c.History) == 0 {
		c.History = []int{1, 1_000, 10_000}
	}
	if len(c.StoreSizes) == 0 {
		c.StoreSizes = []int{0, 1_000, 10_000}
	}
	if c.MemoryConfigs <= 0 {
		c.MemoryConfigs = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Result is one measurement: one scenario, one system, one parameter set.
// Latencies are in microseconds. A baseline that could not run has Skipped
// set to the reason and no figures.
type Result struct {
	Scenario  string         `json:"scenario"`
	System    string         `json:"system"`
	Params    map[string]any `json:"params"`
	Ops       int64          `json:"ops"`
	Seconds   float64        `json:"seconds"`
	OpsPerSec float64        `json:"ops_per_sec"`
	P50us     float64        `json:"p50_us"`
	P99us     float64        `json:"p99_us"`
	P999us    float64        `json:"p999_us"`
	MaxUs     float64        `json:"max_us"`
	// BytesPerConfig is set by the memory scenario: heap growth (or, for
	// redis-design, redis used_memory growth) divided by configs loaded.
	BytesPerConfig float64 `json:"bytes_per_config,omitempty"`
	// Ratios maps a baseline system to this result's ops_per_sec divided by
	// the baseline's for the same scenario and parameters (for memory:
	// bytes_per_config divided by the baseline's). Set on patchbay results.
	Ratios  map[string]float64 `json:"ratios,omitempty"`
	Skipped string             `json:"skipped,omitempty"`
}

// Report is the outcome of Run.
type Report struct {
	Started   time.Time `json:"started"`
	GoVersion string    `json:"go_version"`
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	Results   []Result  `json:"results"`
	Targets   []Target  `json:"targets,omitempty"`
}

// Target is one of Patchbay's performance targets and where the run stands.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// scenarioFunc measures one scenario and appends its results.
type scenarioFunc func(ctx context.Context, r *runner) error

var scenarioFuncs = map[string]scenarioFunc{
	ScenarioParallel: runParallel,
	ScenarioSerial:   runSerial,
	ScenarioFanout:   runFanout,
	ScenarioCatchup:  runCatchup,
	ScenarioRestart:  runRestart,
	ScenarioMemory:   runMemory,
}

// runner carries one Run's configuration and its growing report.
type runner struct {
	cfg      Config
	progress *progress
	results  []Result
	// memResult is the bytes per config the running memory measurement
	// found; measure moves it into the result.
	memResult float64
}

func (r *runner) add(res Result) {
	r.results = append(r.results, res)
	r.progress.done(res)
}

func (r *runner) skip(scenario, system string, params map[string]any, reason string) {
	r.add(Result{Scenario: scenario, System: system, Params: params, Skipped: reason})
}

// Run measures the scenarios cfg selects against fresh embedded stores and
// the baselines, and returns the report. It stops early with ctx's error when
// ctx is cancelled.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	for _, s := range cfg.Scenarios {
		if _, ok := scenarioFuncs[s]; !ok {
			return Report{}, fmt.Errorf("bench: %w %q (want one of %s)", ErrUnknownScenario, s, strings.Join(Scenarios, ", "))
		}
	}
	rep := Report{
		Started:   time.Now().UTC(),
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		NumCPU:    runtime.NumCPU(),
	}
	r := &runner{cfg: cfg, progress: newProgress(cfg.Progress)}
	defer r.progress.stop()
	for _, name := range Scenarios {
		if !slices.Contains(cfg.Scenarios, name) {
			continue
		}
		if err := scenarioFuncs[name](ctx, r); err != nil {
			rep.Results = r.results
			return rep, fmt.Errorf("bench: scenario %s: %w", name, err)
		}
	}
	rep.Results = r.results
	computeRatios(rep.Results)
	rep.Targets = computeTargets(rep.Results)
	return rep, nil
}

// tempDir makes a fresh directory for one scenario's stores.
func (r *runner) tempDir(name string) (string, func(), error) {
	dir, err := os.MkdirTemp(r.cfg.TempDir, "patchbay-bench-"+name+"-")
	if err != nil {
		return "", nil, fmt.Errorf("making temp dir: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
