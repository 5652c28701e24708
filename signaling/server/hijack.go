package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// Buffer sizes of a hijacked WebSocket connection. net/http hands over 4 KiB for each
// direction; an idle signaling connection needs far less, and these buffers are most of what
// an idle client costs. Frames larger than a buffer bypass it.
const (
	wsReadBuffer  = 1024
	wsWriteBuffer = 2048
)

// smallBuffers wraps a ResponseWriter so that Hijack returns small buffers instead of
// net/http's, carrying over any bytes net/http had already read.
type smallBuffers struct {
	http.ResponseWriter
}

// Hijack implements http.Hijacker.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	var r io.Reader = nc
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(early)), nc)
	}
	return nc, bufio.NewReadWriter(bufio.NewReaderSize(r, wsReadBuffer), bufio.NewWriterSize(nc, wsWriteBuffer)), nil
}
