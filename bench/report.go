package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// baselines are the systems patchbay is compared with, in table order.
var baselines = []string{SystemJetStream, SystemNATSKV, SystemRedisDesign}

// paramString renders params as sorted key=value pairs joined by sep.
func paramString(params map[string]any, sep string) string {
	keys := slices.Sorted(maps.Keys(params))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, params[k]))
	}
	return strings.Join(parts, sep)
}

// groupKey identifies results that are compared with each other: the same
// scenario and parameters, ignoring the patchbay transport.
func groupKey(r Result) string {
	p := maps.Clone(r.Params)
	delete(p, "transport")
	return r.Scenario + "|" + paramString(p, ",")
}

// computeRatios sets Ratios on every patchbay result that has a baseline
// measured with the same parameters.
func computeRatios(results []Result) {
	base := map[string]Result{}
	for _, r := range results {
		if r.System != SystemPatchbay && r.Skipped == "" {
			base[groupKey(r)+"|"+r.System] = r
		}
	}
	for i := range results {
		r := &results[i]
		if r.System != SystemPatchbay || r.Skipped != "" {
			continue
		}
		for _, b := range baselines {
			br, ok := base[groupKey(*r)+"|"+b]
			if !ok {
				continue
			}
			var ratio float64
			switch {
			case r.Scenario == ScenarioMemory && br.BytesPerConfig > 0:
				ratio = r.BytesPerConfig / br.BytesPerConfig
			case r.Scenario != ScenarioMemory && br.OpsPerSec > 0:
				ratio = r.OpsPerSec / br.OpsPerSec
			default:
				continue
			}
			if r.Ratios == nil {
				r.Ratios = map[string]float64{}
			}
			r.Ratios[b] = ratio
		}
	}
}

func find(results []Result, scenario, system string, match map[string]any) (Result, bool) {
	for _, r := range results {
		if r.Scenario != scenario || r.System != system || r.Skipped != "" {
			continue
		}
		ok := true
		for k, v := range match {
			if fmt.Sprint(r.Params[k]) != fmt.Sprint(v) {
				ok = false
			}
		}
		if ok {
			return r, true
		}
	}
	return Result{}, false
}

// computeTargets states where the run stands on Patchbay's targets. A target
// whose figures were not measured in this run is left out.
func computeTargets(results []Result) []Target {
	var ts []Target
	if pb, ok := find(results, ScenarioParallel, SystemPatchbay, map[string]any{"size": 1024}); ok {
		if r, ok := pb.Ratios[SystemJetStream]; ok {
			ts = append(ts, Target{Name: "parallel 1 KiB vs raw JetStream async publish", Want: ">= 0.50x", Got: fmt.Sprintf("%.2fx", r), Met: r >= 0.5})
		}
		if r, ok := pb.Ratios[SystemNATSKV]; ok {
			ts = append(ts, Target{Name: "parallel 1 KiB vs NATS KV CAS", Want: ">= 2.00x", Got: fmt.Sprintf("%.2fx", r), Met: r >= 2})
		}
	}
	if pb, ok := find(results, ScenarioSerial, SystemPatchbay, map[string]any{"size": 1024}); ok {
		ts = append(ts, Target{Name: "serial 1 KiB updates/s", Want: ">= 10000", Got: fmt.Sprintf("%.0f", pb.OpsPerSec), Met: pb.OpsPerSec >= 10000})
	}
	for _, tr := range []string{"nats", "redis"} {
		if pb, ok := find(results, ScenarioFanout, SystemPatchbay, map[string]any{"subscribers": 1000, "transport": tr}); ok {
			ts = append(ts, Target{Name: "fanout p99, 1000 subscribers over " + tr, Want: "< 2000us", Got: fmt.Sprintf("%.0fus", pb.P99us), Met: pb.P99us < 2000})
		}
	}
	var hist []Result
	for _, r := range results {
		if r.Scenario == ScenarioCatchup && r.System == SystemPatchbay && r.Skipped == "" {
			hist = append(hist, r)
		}
	}
	if len(hist) >= 2 {
		lo, hi := hist[0], hist[0]
		for _, r := range hist {
			if toInt(r.Params["history"]) < toInt(lo.Params["history"]) {
				lo = r
			}
			if toInt(r.Params["history"]) > toInt(hi.Params["history"]) {
				hi = r
			}
		}
		ratio := hi.P50us / lo.P50us
		ts = append(ts, Target{
			Name: fmt.Sprintf("catchup flat: p50 at history %v / at %v", hi.Params["history"], lo.Params["history"]),
			Want: "<= 2.00x", Got: fmt.Sprintf("%.2fx (%s vs %s)", ratio, fmtUs(hi.P50us), fmtUs(lo.P50us)), Met: ratio <= 2,
		})
	}
	if pb, ok := find(results, ScenarioMemory, SystemPatchbay, nil); ok {
		ts = append(ts, Target{Name: "memory per config (heap growth / configs)", Want: "reported", Got: fmt.Sprintf("%.0f bytes", pb.BytesPerConfig), Met: pb.BytesPerConfig > 0})
	}
	return ts
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	case int64:
		return int(x)
	}
	return 0
}

// fmtUs renders microseconds with a unit that keeps it short.
func fmtUs(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2fs", us/1e6)
	case us >= 1e4:
		return fmt.Sprintf("%.1fms", us/1e3)
	case us >= 1e3:
		return fmt.Sprintf("%.2fms", us/1e3)
	default:
		return fmt.Sprintf("%.0fus", us)
	}
}

// WriteJSON writes the report as indented JSON: an object with a results list.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// WriteTable writes a table a person can read: one line per result with its
// ratios to the baselines, then the targets.
func (rep Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tparams\tsystem\tops/s\tp50\tp99\tp99.9\tmax\tvs jetstream\tvs natskv\tvs redis-design\t")
	prev := ""
	var skipped []Result
	for _, r := range rep.Results {
		if r.Scenario != prev && prev != "" {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t")
		}
		prev = r.Scenario
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\tskipped*\t\t\t\t\t\t\t\t\n", r.Scenario, paramString(r.Params, " "), r.System)
			skipped = append(skipped, r)
			continue
		}
		ops := fmt.Sprintf("%.0f", r.OpsPerSec)
		if r.Scenario == ScenarioMemory {
			ops = fmt.Sprintf("%.0f B/config", r.BytesPerConfig)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", r.Scenario, paramString(r.Params, " "), r.System, ops,
			fmtUs(r.P50us), fmtUs(r.P99us), fmtUs(r.P999us), fmtUs(r.MaxUs))
		for _, b := range baselines {
			if v, ok := r.Ratios[b]; ok {
				fmt.Fprintf(tw, "%.2fx\t", v)
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "\n* skipped:")
		for _, r := range skipped {
			fmt.Fprintf(w, "  %s %s %s: %s\n", r.Scenario, r.System, paramString(r.Params, " "), r.Skipped)
		}
	}
	if len(rep.Targets) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "targets:")
		for _, t := range rep.Targets {
			mark := "MET    "
			if !t.Met {
				mark = "NOT MET"
			}
			fmt.Fprintf(w, "  %s  %-52s want %-10s got %s\n", mark, t.Name, t.Want, t.Got)
		}
	}
	fmt.Fprintln(w, "\nratios are patchbay ops/s divided by the baseline's (memory: bytes per config divided by the baseline's).")
	return nil
}

// WriteGoBench writes one Go benchmark-format line per measured result, so
// benchstat can compare runs: the name carries scenario, system and
// parameters; the iterations are the operations done.
func (rep Report) WriteGoBench(w io.Writer) error {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/patchbay/patchbay/bench\n", rep.GOOS, rep.GOARCH)
	for _, r := range rep.Results {
		if r.Skipped != "" || r.Ops == 0 {
			continue
		}
		name := "Benchmark" + strings.ToUpper(r.Scenario[:1]) + r.Scenario[1:] + "/system=" + r.System
		if p := paramString(r.Params, "/"); p != "" {
			name += "/" + p
		}
		name = strings.ReplaceAll(name, " ", "_")
		nsPerOp := 0.0
		if r.OpsPerSec > 0 {
			nsPerOp = 1e9 / r.OpsPerSec
		}
		line := fmt.Sprintf("%s-%d\t%d\t%.1f ns/op\t%.1f ops/s\t%.1f p50-us\t%.1f p99-us\t%.1f p99.9-us\t%.1f max-us",
			name, rep.NumCPU, r.Ops, nsPerOp, r.OpsPerSec, r.P50us, r.P99us, r.P999us, r.MaxUs)
		if r.BytesPerConfig > 0 {
			line += fmt.Sprintf("\t%.0f B/config", r.BytesPerConfig)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return fmt.Errorf("writing benchmark lines: %w", err)
		}
	}
	return nil
}

// systemColors are the bar colours of the chart.
var systemColors = map[string]string{
	SystemPatchbay:    "#2b6cb0",
	SystemJetStream:   "#718096",
	SystemNATSKV:      "#d69e2e",
	SystemRedisDesign: "#c53030",
}

// WriteSVG writes a self-contained SVG chart: for every scenario and
// parameter set, horizontal bars of ops/s per system (log scale) on the left
// and p99 latency (log scale) on the right.
func (rep Report) WriteSVG(w io.Writer) error {
	type row struct {
		label string
		res   Result
	}
	type group struct {
		title string
		rows  []row
	}
	var groups []group
	idx := map[string]int{}
	for _, r := range rep.Results {
		if r.Skipped != "" || r.Scenario == ScenarioMemory {
			continue
		}
		k := groupKey(r)
		i, ok := idx[k]
		if !ok {
			p := maps.Clone(r.Params)
			delete(p, "transport")
			i = len(groups)
			idx[k] = i
			groups = append(groups, group{title: strings.TrimSpace(r.Scenario + "  " + paramString(p, " "))})
		}
		label := r.System
		if t, ok := r.Params["transport"]; ok {
			label += " (" + fmt.Sprint(t) + ")"
		}
		groups[i].rows = append(groups[i].rows, row{label, r})
	}
	const (
		width   = 1070
		left    = 150 // label column
		panelW  = 360
		gap     = 60
		barH    = 13
		titleH  = 20
		groupGp = 8
		top     = 60
	)
	maxOps, minOps, maxLat, minLat := 1.0, math.Inf(1), 1.0, math.Inf(1)
	height := top
	for _, g := range groups {
		height += titleH + len(g.rows)*(barH+3) + groupGp
		for _, rw := range g.rows {
			maxOps = math.Max(maxOps, rw.res.OpsPerSec)
			minOps = math.Min(minOps, math.Max(rw.res.OpsPerSec, 0.1))
			maxLat = math.Max(maxLat, rw.res.P99us)
			minLat = math.Min(minLat, math.Max(rw.res.P99us, 1))
		}
	}
	height += 40
	logScale := func(v, lo, hi float64) float64 {
		l0 := math.Floor(math.Log10(lo))
		l1 := math.Ceil(math.Log10(hi))
		if l1 <= l0 {
			l1 = l0 + 1
		}
		if v <= 0 {
			return 0
		}
		f := (math.Log10(v) - l0) / (l1 - l0)
		return math.Max(2, f*panelW)
	}
	if math.IsInf(minOps, 1) {
		minOps = 1
	}
	if math.IsInf(minLat, 1) {
		minLat = 1
	}
	minOps = math.Min(minOps/2, 1)
	minLat = math.Min(minLat/2, 1)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="15" font-weight="bold">patchbay bench (%s/%s, %d CPUs, %s)</text>`+"\n", rep.GOOS, rep.GOARCH, rep.NumCPU, rep.Started.Format("2006-01-02 15:04 UTC"))
	x1 := left
	x2 := left + panelW + gap + 60
	fmt.Fprintf(&b, `<text x="%d" y="45" font-weight="bold">ops/s (log scale, longer is better)</text>`+"\n", x1)
	fmt.Fprintf(&b, `<text x="%d" y="45" font-weight="bold">p99 latency (log scale, shorter is better)</text>`+"\n", x2)
	y := top
	for _, g := range groups {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+14, xmlEscape(g.title))
		y += titleH
		for _, rw := range g.rows {
			col := systemColors[rw.res.System]
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+barH-2, xmlEscape(rw.label))
			wOps := logScale(rw.res.OpsPerSec, minOps, maxOps)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", x1, y, wOps, barH, col)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(x1)+wOps+4, y+barH-2, xmlEscape(fmtCount(rw.res.OpsPerSec)))
			wLat := logScale(rw.res.P99us, minLat, maxLat)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" opacity="0.75"/>`+"\n", x2, y, wLat, barH, col)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(x2)+wLat+4, y+barH-2, xmlEscape(fmtUs(rw.res.P99us)))
			y += barH + 3
		}
		y += groupGp
	}
	lx := 10
	for _, s := range append([]string{SystemPatchbay}, baselines...) {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, y+10, systemColors[s], lx+16, y+20, s)
		lx += 130
	}
	b.WriteString("</svg>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing SVG chart: %w", err)
	}
	return nil
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
