package bench

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints what Run is measuring: one line updated in place on a
// terminal, a line every two seconds otherwise, and a summary line per
// result. A nil writer makes every method a no-op. Its goroutine is owned by
// the progress value and ends in stop.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration

	mu      sync.Mutex // guards label, rec, started and lineLen
	label   string
	rec     *recorder
	started time.Time
	lineLen int

	quit chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, quit: make(chan struct{}), every: 2 * time.Second}
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
			p.every = 250 * time.Millisecond
		}
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.print()
		}
	}
}

// begin names the measurement now running; rec (may be nil) supplies the count.
func (p *progress) begin(label string, rec *recorder) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.label, p.rec, p.started = label, rec, time.Now()
	p.mu.Unlock()
	if p.tty {
		p.print()
	}
}

func (p *progress) print() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.label == "" {
		return
	}
	el := time.Since(p.started)
	line := fmt.Sprintf("bench: %s  %5.1fs", p.label, el.Seconds())
	if p.rec != nil {
		n := p.rec.count.Load()
		line += fmt.Sprintf("  %d ops  %.0f ops/s", n, float64(n)/el.Seconds())
	}
	p.writeLocked(line)
}

func (p *progress) writeLocked(line string) {
	if p.tty {
		pad := p.lineLen - len(line)
		p.lineLen = len(line)
		if pad < 0 {
			pad = 0
		}
		fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
		return
	}
	fmt.Fprintln(p.w, line)
}

// done prints a result's summary and clears the running label.
func (p *progress) done(res Result) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.rec = "", nil
	line := fmt.Sprintf("bench: %-8s %-12s %-28s ", res.Scenario, res.System, paramString(res.Params, " "))
	if res.Skipped != "" {
		line += "skipped: " + res.Skipped
	} else {
		line += fmt.Sprintf("%10.0f ops/s  p50 %s  p99 %s", res.OpsPerSec, fmtUs(res.P50us), fmtUs(res.P99us))
	}
	if p.tty {
		p.writeLocked(line)
		fmt.Fprintln(p.w)
		p.lineLen = 0
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) stop() {
	if p.w == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
}
