// Package wsread reads WebSocket messages into pooled buffers, so that busy connections do
// not allocate a buffer per message and idle ones hold none.
package wsread

import (
	"context"
	"io"
	"sync"

	"github.com/coder/websocket"
)

var pool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Read reads one whole message into a pooled buffer. The caller must hand the buffer back with
// Put once done with it and must not keep references into it.
func Read(ctx context.Context, ws *websocket.Conn) (websocket.MessageType, *[]byte, error) {
	typ, r, err := ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	bp := pool.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b
			Put(bp)
			return 0, nil, err
		}
	}
	*bp = b
	return typ, bp, nil
}

// Put returns a buffer from Read to the pool. Buffers grown past 64 KiB are dropped.
func Put(bp *[]byte) {
	if cap(*bp) > 64<<10 {
		return
	}
	pool.Put(bp)
}
