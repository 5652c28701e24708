package engine

import (
	"crypto/rand"
	"io"
)

// randReader returns r, or crypto/rand when r is nil.
func randReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
