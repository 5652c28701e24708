package natlab

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestStreamSemantics(t *testing.T) {
	a, b := newStream()
	// Writes never block, even with no reader.
	for range 100 {
		if _, err := a.Write(make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100_000)
	n, err := io.ReadFull(b, buf)
	if n != 100_000 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	// Read deadline.
	if err := b.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	var ne net.Error
	if _, err := b.Read(buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("deadline error is not a timeout: %v", err)
	}
	if err := b.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	// A blocked reader wakes on data.
	got := make(chan string, 1)
	go func() {
		n, _ := b.Read(buf)
		got <- string(buf[:n])
	}()
	if _, err := a.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "hi" {
		t.Fatalf("got %q", s)
	}
	// Close: the other end drains, then EOF; writes to a closed end fail.
	if _, err := a.Write([]byte("last")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	n, err = b.Read(buf)
	if string(buf[:n]) != "last" || err != nil {
		t.Fatalf("drain: %q %v", buf[:n], err)
	}
	if _, err := b.Read(buf); !errors.Is(err, io.EOF) {
		t.Fatalf("after drain: %v, want EOF", err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write to closed peer: %v", err)
	}
	if _, err := a.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on closed end: %v", err)
	}
}
