package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// tinyConfig is a configuration small enough for a test under -race.
func tinyConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		Duration:      150 * time.Millisecond,
		Sizes:         []int{1024, 4096},
		Configs:       8,
		Concurrency:   4,
		Subscribers:   []int{1, 5},
		History:       []int{1, 30},
		StoreSizes:    []int{0, 50},
		MemoryConfigs: 20,
		TempDir:       t.TempDir(),
	}
}

func checkFigures(t *testing.T, r Result) {
	t.Helper()
	name := r.Scenario + "/" + r.System + "/" + paramString(r.Params, ",")
	if r.Skipped != "" {
		t.Errorf("%s skipped: %s", name, r.Skipped)
		return
	}
	if r.Ops <= 0 || r.OpsPerSec <= 0 {
		t.Errorf("%s: ops %d, ops/s %v; want > 0", name, r.Ops, r.OpsPerSec)
	}
	if !(r.P50us > 0 && r.P50us <= r.P99us && r.P99us <= r.P999us && r.P999us <= r.MaxUs) {
		t.Errorf("%s: percentiles not ordered: p50 %v p99 %v p99.9 %v max %v", name, r.P50us, r.P99us, r.P999us, r.MaxUs)
	}
	if r.Scenario == ScenarioMemory && r.BytesPerConfig == 0 {
		t.Errorf("%s: bytes per config not measured", name)
	}
}

// TestRunEveryScenario runs every scenario at a tiny size against a real
// embedded store, JetStream, NATS KV and redis-server, and checks that the
// figures are produced and sane and that every output format parses.
func TestRunEveryScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var progress bytes.Buffer
	cfg := tinyConfig(t)
	cfg.Progress = &syncWriter{w: &progress}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	type key struct{ scenario, system string }
	seen := map[key]int{}
	for _, r := range rep.Results {
		seen[key{r.Scenario, r.System}]++
		if r.Scenario == ScenarioRestart && r.System == SystemRedisDesign {
			if !strings.Contains(r.Skipped, "no durable state") {
				t.Errorf("restart redis-design: skipped = %q, want the reason", r.Skipped)
			}
			continue
		}
		checkFigures(t, r)
	}
	want := map[key]int{
		{ScenarioParallel, SystemPatchbay}: 2, {ScenarioParallel, SystemJetStream}: 2, {ScenarioParallel, SystemNATSKV}: 2, {ScenarioParallel, SystemRedisDesign}: 2,
		{ScenarioSerial, SystemPatchbay}: 2, {ScenarioSerial, SystemJetStream}: 2, {ScenarioSerial, SystemNATSKV}: 2, {ScenarioSerial, SystemRedisDesign}: 2,
		{ScenarioFanout, SystemPatchbay}: 4, {ScenarioFanout, SystemJetStream}: 2, {ScenarioFanout, SystemRedisDesign}: 2,
		{ScenarioCatchup, SystemPatchbay}: 2, {ScenarioCatchup, SystemNATSKV}: 2, {ScenarioCatchup, SystemRedisDesign}: 2,
		{ScenarioRestart, SystemPatchbay}: 2, {ScenarioRestart, SystemJetStream}: 2, {ScenarioRestart, SystemRedisDesign}: 2,
		{ScenarioMemory, SystemPatchbay}: 1, {ScenarioMemory, SystemNATSKV}: 1, {ScenarioMemory, SystemRedisDesign}: 1,
	}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("%s/%s: %d results, want %d", k.scenario, k.system, seen[k], n)
		}
	}
	for _, r := range rep.Results {
		if r.System == SystemPatchbay && r.Skipped == "" && r.Scenario != ScenarioRestart {
			if len(r.Ratios) == 0 {
				t.Errorf("%s/%s: no ratios to the baselines", r.Scenario, paramString(r.Params, ","))
			}
		}
	}
	if len(rep.Targets) < 4 {
		t.Errorf("got %d targets, want at least 4: %+v", len(rep.Targets), rep.Targets)
	}
	if !strings.Contains(progress.String(), "parallel") {
		t.Errorf("progress output lacks the scenario names: %q", progress.String())
	}
	checkOutputs(t, rep)
}

func checkOutputs(t *testing.T, rep Report) {
	t.Helper()
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatalf("JSON report does not parse: %v", err)
	}
	if len(decoded.Results) != len(rep.Results) {
		t.Fatalf("JSON has %d results, want %d", len(decoded.Results), len(rep.Results))
	}
	for _, r := range decoded.Results {
		for _, f := range []string{"scenario", "system", "params", "ops_per_sec", "p50_us", "p99_us", "p999_us", "max_us"} {
			if _, ok := r[f]; !ok {
				t.Errorf("JSON result lacks %q: %v", f, r)
			}
		}
	}

	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&svg)
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if rects < 2*len(rep.Results)/2 {
		t.Errorf("SVG has %d rects for %d results", rects, len(rep.Results))
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"patchbay", "jetstream", "natskv", "redis-design", "vs jetstream", "targets:"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}

	var gb bytes.Buffer
	if err := rep.WriteGoBench(&gb); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^Benchmark\S+-\d+\t\d+\t[0-9.]+ ns/op\t[0-9.]+ ops/s\t`)
	n := 0
	for _, l := range strings.Split(gb.String(), "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			if !line.MatchString(l) {
				t.Errorf("not a benchmark line: %q", l)
			}
			n++
		}
	}
	if n == 0 {
		t.Errorf("no benchmark lines:\n%s", gb.String())
	}
}

func TestRunUnknownScenario(t *testing.T) {
	_, err := Run(context.Background(), Config{Scenarios: []string{"nope"}})
	if !errors.Is(err, ErrUnknownScenario) {
		t.Fatalf("Run with an unknown scenario: err = %v, want ErrUnknownScenario", err)
	}
}

func TestOwnedLoopPartitionsConfigs(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{10, 3}, {8, 8}, {1, 1}, {1000, 64}} {
		owner := map[int]int{}
		op := ownedLoop(tc.n, tc.k, func(_ context.Context, w, i, _ int) error {
			if o, ok := owner[i]; ok && o != w {
				t.Errorf("n=%d k=%d: config %d used by workers %d and %d", tc.n, tc.k, i, o, w)
			}
			owner[i] = w
			return nil
		})
		for w := range tc.k {
			for range tc.n {
				_ = op(context.Background(), w)
			}
		}
		if len(owner) != tc.n {
			t.Errorf("n=%d k=%d: %d configs touched, want %d", tc.n, tc.k, len(owner), tc.n)
		}
	}
}

func TestMakePatchSize(t *testing.T) {
	for _, size := range []int{1024, 65536} {
		p := makePatch(size, 7)
		if len(p) != size {
			t.Errorf("makePatch(%d): %d bytes", size, len(p))
		}
		var ops []map[string]any
		if err := json.Unmarshal(p, &ops); err != nil || len(ops) != 1 {
			t.Errorf("makePatch(%d) is not a one-op patch: %v", size, err)
		}
		if bytes.Equal(p, makePatch(size, 8)) {
			t.Errorf("makePatch(%d) gives equal patches for different n", size)
		}
	}
}

func TestRatiosAndTargets(t *testing.T) {
	res := []Result{
		{Scenario: ScenarioParallel, System: SystemPatchbay, Params: map[string]any{"size": 1024}, OpsPerSec: 600},
		{Scenario: ScenarioParallel, System: SystemJetStream, Params: map[string]any{"size": 1024}, OpsPerSec: 1000},
		{Scenario: ScenarioParallel, System: SystemNATSKV, Params: map[string]any{"size": 1024}, OpsPerSec: 400},
		{Scenario: ScenarioParallel, System: SystemRedisDesign, Params: map[string]any{"size": 1024}, Skipped: "no redis"},
		{Scenario: ScenarioFanout, System: SystemPatchbay, Params: map[string]any{"subscribers": 1000, "transport": "nats"}, OpsPerSec: 10, P99us: 1500},
		{Scenario: ScenarioFanout, System: SystemJetStream, Params: map[string]any{"subscribers": 1000}, OpsPerSec: 20},
		{Scenario: ScenarioCatchup, System: SystemPatchbay, Params: map[string]any{"history": 1}, P50us: 100},
		{Scenario: ScenarioCatchup, System: SystemPatchbay, Params: map[string]any{"history": 1000}, P50us: 300},
	}
	computeRatios(res)
	if got := res[0].Ratios; got[SystemJetStream] != 0.6 || got[SystemNATSKV] != 1.5 || len(got) != 2 {
		t.Errorf("parallel ratios = %v, want jetstream 0.6, natskv 1.5", got)
	}
	if got := res[4].Ratios[SystemJetStream]; got != 0.5 {
		t.Errorf("fanout ratio = %v, want 0.5 (transport ignored when matching)", got)
	}
	ts := computeTargets(res)
	met := map[string]bool{}
	for _, tg := range ts {
		met[tg.Name] = tg.Met
	}
	for name, want := range map[string]bool{
		"parallel 1 KiB vs raw JetStream async publish": true,
		"parallel 1 KiB vs NATS KV CAS":                 false,
		"fanout p99, 1000 subscribers over nats":        true,
	} {
		if got, ok := met[name]; !ok || got != want {
			t.Errorf("target %q: met = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if i := slices.IndexFunc(ts, func(tg Target) bool { return strings.HasPrefix(tg.Name, "catchup flat") }); i < 0 || ts[i].Met {
		t.Errorf("catchup target: %+v, want present and not met (3x growth)", ts)
	}
}
