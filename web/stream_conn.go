package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/gorilla/websocket"
)

// serve runs one stream until the client goes, the connection fails or ctx
// ends, and waits for every goroutine it started.
func (h *hub) serve(ctx context.Context, conn *websocket.Conn) {
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &streamClient{h: h, conn: conn, wake: make(chan struct{}, 1),
		maxPending: h.cfg.MaxPending, maxQueued: h.cfg.MaxQueued}
	c.w = newStreamWriter(c)
	c.run = h.join()
	defer h.leave(c)
	c.seq.Store(h.s.store.Seq())

	hello := fmt.Appendf(nil, `{"type":"hello","version":1,"epoch":%q,"seq":%d,"origin":[%s,%s],"frame":{"magic":"CTWF","version":1},"limits":{"maxMessageBytes":%d,"controlRate":%g,"maxPending":%d,"maxSnapshot":%d,"maxMetrics":%d},"channels":["subscribe","viewport","seek","live","alerts","fences","scenarios","ping","resume"]}`,
		h.epoch, c.seq.Load(), appendFloat(nil, h.frame.Origin[0]), appendFloat(nil, h.frame.Origin[1]),
		h.cfg.MaxMessageBytes, h.cfg.ControlRate, h.cfg.MaxPending, h.cfg.MaxSnapshot, maxStreamMetrics)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		if err := c.writer(ctx, hello); err != nil && !errors.Is(err, context.Canceled) {
			h.s.log.Debug("stream write", "remote", conn.RemoteAddr().String(), "err", err)
			// A write that failed or timed out (a client that stopped reading
			// for WriteTimeout) ends the stream: close the connection, so that
			// the reader stops and the client learns it must resume, instead
			// of waiting on a stream that no longer writes.
			conn.Close()
		}
	}()
	rd := &streamReader{c: c, ctx: ctx, bucket: float64(h.cfg.ControlBurst), last: time.Now()}
	rd.read()
	cancel()
	rd.stopPlayback()
	rd.stopFences()
	rd.stopScenarios()
	wg.Wait()
}

// streamReader is the reader goroutine's state.
type streamReader struct {
	c      *streamClient
	ctx    context.Context
	view   *streamView // the live subscription, for seek and live
	bucket float64     // control-message tokens
	last   time.Time

	playCancel context.CancelFunc
	playDone   chan struct{}
	fenceStop  context.CancelFunc
	fenceDone  chan struct{}
	scenStop   context.CancelFunc
	scenDone   chan struct{}
}

func (rd *streamReader) read() {
	c, cfg := rd.c, rd.c.h.cfg
	conn := c.conn
	conn.SetReadLimit(cfg.MaxMessageBytes)
	alive := func() { conn.SetReadDeadline(time.Now().Add(cfg.PongWait)) }
	alive()
	conn.SetPongHandler(func(string) error { alive(); return nil })
	// Only the writers write to the socket: a pong waits for the writer, and
	// a close is answered by the writer's close when the reader has ended.
	conn.SetPingHandler(c.answerPing)
	conn.SetCloseHandler(func(int, string) error { return nil })
	for {
		typ, b, err := conn.ReadMessage()
		if err != nil {
			return
		}
		alive()
		if !rd.allow() {
			c.sendError(&ControlError{Reason: fmt.Sprintf("too many control messages: at most %g a second (burst %d); this one was ignored", cfg.ControlRate, cfg.ControlBurst)})
			continue
		}
		if typ != websocket.TextMessage {
			c.sendError(&ControlError{Reason: "control messages are JSON text; binary messages are not read"})
			continue
		}
		ctl, err := parseControl(b)
		if err != nil {
			c.sendError(err)
			continue
		}
		rd.handle(ctl)
	}
}

// allow takes a token from the control-message bucket.
func (rd *streamReader) allow() bool {
	now := time.Now()
	cfg := rd.c.h.cfg
	rd.bucket = min(float64(cfg.ControlBurst), rd.bucket+now.Sub(rd.last).Seconds()*cfg.ControlRate)
	rd.last = now
	if rd.bucket < 1 {
		return false
	}
	rd.bucket--
	return true
}

func (rd *streamReader) handle(ctl control) {
	c := rd.c
	run := c.run
	switch ctl.Type {
	case ctlPing:
		c.enqueue(fmt.Appendf(nil, `{"type":"pong","seq":%d}`, c.seq.Load()))
	case ctlSubscribe:
		rd.stopPlayback()
		v := ctl.View
		rd.view = &v
		run.send(hubCmd{op: cmdSubscribe, c: c, view: v})
	case ctlResume:
		rd.stopPlayback()
		v := ctl.View
		rd.view = &v
		if ctl.Epoch != c.h.epoch {
			// Slots were numbered by another server: start afresh.
			run.send(hubCmd{op: cmdResume, c: c, view: v, seq: ^uint64(0)})
			return
		}
		run.send(hubCmd{op: cmdResume, c: c, view: v, seq: ctl.Seq})
	case ctlViewport:
		if rd.view == nil {
			c.sendError(&ControlError{Field: "type", Reason: "subscribe before changing the viewport"})
			return
		}
		rd.view.BBox, rd.view.Cells, rd.view.Zoom, rd.view.cellBound = ctl.View.BBox, ctl.View.Cells, ctl.View.Zoom, ctl.View.cellBound
		if rd.playDone != nil {
			c.sendError(&ControlError{Field: "type", Reason: "the viewport of a playback is fixed: seek again to play back another place"})
			return
		}
		run.send(hubCmd{op: cmdViewport, c: c, view: ctl.View})
	case ctlSeek:
		if rd.view == nil {
			c.sendError(&ControlError{Field: "type", Reason: "subscribe before seeking: the subscription says what to play back"})
			return
		}
		rd.stopPlayback()
		done := make(chan struct{})
		run.send(hubCmd{op: cmdPause, c: c, done: done})
		<-done
		ctx, cancel := context.WithCancel(rd.ctx)
		rd.playCancel, rd.playDone = cancel, make(chan struct{})
		go func(v streamView, done chan struct{}) {
			defer close(done)
			c.playback(ctx, v, ctl.At, ctl.Speed)
		}(*rd.view, rd.playDone)
	case ctlLive:
		if rd.view == nil {
			c.sendError(&ControlError{Field: "type", Reason: "subscribe first"})
			return
		}
		rd.stopPlayback()
		run.send(hubCmd{op: cmdSubscribe, c: c, view: *rd.view})
	case ctlAlerts:
		run.send(hubCmd{op: cmdAlerts, c: c})
		rd.activeAlerts()
	case ctlFences:
		if c.h.s.fences == nil {
			c.sendError(&ControlError{Field: "type", Reason: "this server runs no geofence engine"})
			return
		}
		rd.stopFences()
		ctx, cancel := context.WithCancel(rd.ctx)
		rd.fenceStop, rd.fenceDone = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			c.followFences(ctx, ctl.After)
		}(rd.fenceDone)
	case ctlScenarios:
		if c.h.s.scenarios == nil {
			c.sendError(&ControlError{Field: "type", Reason: "this server runs no scenarios"})
			return
		}
		rd.stopScenarios()
		ctx, cancel := context.WithCancel(rd.ctx)
		rd.scenStop, rd.scenDone = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			c.followScenarios(ctx)
		}(rd.scenDone)
	}
}

func (rd *streamReader) stopPlayback() {
	if rd.playDone != nil {
		rd.playCancel()
		<-rd.playDone
		rd.playDone = nil
	}
}

func (rd *streamReader) stopScenarios() {
	if rd.scenDone != nil {
		rd.scenStop()
		<-rd.scenDone
		rd.scenDone = nil
	}
}

func (rd *streamReader) stopFences() {
	if rd.fenceDone != nil {
		rd.fenceStop()
		<-rd.fenceDone
		rd.fenceDone = nil
	}
}

// activeAlerts sends the alerts active now; changes follow as alert messages.
func (rd *streamReader) activeAlerts() {
	c := rd.c
	store := c.h.s.store
	seq := store.Seq()
	ctx, cancel := context.WithTimeout(rd.ctx, queryTimeout)
	defer cancel()
	res, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{alert.KindAlert},
		Where: []twin.Filter{{Key: alert.PropAlertState, Op: twin.Eq, Value: twin.StringValue(alert.StateActive)}}, Limit: 10000})
	if err != nil {
		c.sendError(err)
		return
	}
	b := fmt.Appendf(nil, `{"type":"alerts","seq":%d,"features":[`, seq)
	for i := range res.Entities {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendEntityFeature(b, &res.Entities[i]); err != nil {
			return
		}
	}
	c.enqueue(append(b, "]}"...))
}

// followFences sends geofence events after a seq until ctx ends.
func (c *streamClient) followFences(ctx context.Context, after uint64) {
	sub := c.h.s.fences.Subscribe(after)
	for {
		evs, missed, err := sub.Next(ctx, 1000)
		if err != nil {
			return
		}
		js, err := json.Marshal(evs)
		if err != nil {
			c.h.s.log.Error("stream fence events", "err", err)
			return
		}
		b := fmt.Appendf(nil, `{"type":"fence","seq":%d,"missed":%d,"events":`, c.seq.Load(), missed)
		c.enqueue(append(append(b, js...), '}'))
	}
}

// followScenarios sends every scenario now ("scenarios"), then each change of
// one — created, progress, finished — as "scenario", until ctx ends.
func (c *streamClient) followScenarios(ctx context.Context) {
	events, stop := c.h.s.scenarios.Subscribe()
	defer stop()
	js, err := json.Marshal(c.h.s.scenarios.List())
	if err != nil {
		return
	}
	b := fmt.Appendf(nil, `{"type":"scenarios","seq":%d,"scenarios":`, c.seq.Load())
	c.enqueue(append(append(b, js...), '}'))
	for {
		select {
		case <-ctx.Done():
			return
		case info := <-events:
			js, err := json.Marshal(info)
			if err != nil {
				return
			}
			b := fmt.Appendf(nil, `{"type":"scenario","seq":%d,"scenario":`, c.seq.Load())
			c.enqueue(append(append(b, js...), '}'))
		}
	}
}
