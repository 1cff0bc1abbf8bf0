package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// bar is a progress bar on stderr for long work; quiet turns it off.
type bar struct {
	pb *progressbar.ProgressBar
	w  io.Writer
	d  string
}

func newBar(w io.Writer, quiet bool, description string) *bar {
	if quiet {
		return &bar{}
	}
	return &bar{w: w, d: description}
}

// update is a progress callback: done of total units.
func (b *bar) update(done, total int) {
	if b.w == nil {
		return
	}
	if b.pb == nil {
		b.pb = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(b.d),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = b.pb.Set(done)
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
		b.pb = nil
	}
}
