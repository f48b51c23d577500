package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/cmd/patchbay/cli"
)

func TestCLIBenchHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := cli.Main(context.Background(), []string{"bench", "--help"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("patchbay bench --help: %v", err)
	}
	for _, want := range []string{"usage: patchbay bench", "-scenario", "-duration", "-json", "-svg", "-gobench", "-size", "-concurrency", "-subscribers"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestCLIBenchUnknownScenario(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := cli.Main(context.Background(), []string{"bench", "--scenario", "nope", "--quiet"}, nil, &stdout, &stderr)
	if got := cli.ExitCode(err); got != 2 {
		t.Fatalf("unknown scenario: err %v, exit code %d; want 2", err, got)
	}
}

// TestCLIBenchTinyRun runs the serial scenario through cli.Main with every
// output and checks each is written and parses.
func TestCLIBenchTinyRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	jsonFile, svgFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.svg")
	var stdout, stderr bytes.Buffer
	err := cli.Main(ctx, []string{"bench", "--scenario", "serial", "--duration", "100ms", "--size", "1KB",
		"--json", jsonFile, "--svg", svgFile, "--gobench"}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("patchbay bench: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"serial", "patchbay", "jetstream", "natskv", "redis-design", "vs jetstream", "BenchmarkSerial/system=patchbay/size=1024-"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "bench: serial") {
		t.Errorf("no progress on stderr: %q", stderr.String())
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Scenario  string             `json:"scenario"`
			System    string             `json:"system"`
			OpsPerSec float64            `json:"ops_per_sec"`
			P50us     float64            `json:"p50_us"`
			P99us     float64            `json:"p99_us"`
			MaxUs     float64            `json:"max_us"`
			Ratios    map[string]float64 `json:"ratios"`
			Skipped   string             `json:"skipped"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if len(rep.Results) != 4 {
		t.Fatalf("JSON has %d results, want 4 (patchbay and three baselines)", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Skipped != "" || r.OpsPerSec <= 0 || r.P50us > r.P99us || r.P99us > r.MaxUs {
			t.Errorf("%s/%s: implausible figures %+v", r.Scenario, r.System, r)
		}
		if r.System == "patchbay" && len(r.Ratios) != 3 {
			t.Errorf("patchbay ratios = %v, want three baselines", r.Ratios)
		}
	}
	svg, err := os.ReadFile(svgFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
	}
}
