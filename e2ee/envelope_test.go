package e2ee

import (
	"bytes"
	"errors"
	"sync"
	"testing"
)

func sessions(t testing.TB) (sa, sb *Session) {
	t.Helper()
	a, b := newParties(t, 11)
	sa, sb, _, _, _ = run(t, a.cfg, b.cfg)
	return sa, sb
}

func TestEnvelopeRoundTrip(t *testing.T) {
	sa, sb := sessions(t)
	for _, n := range []int{0, 1, 15, 16, 17, 1000, MaxPlaintextSize} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		env, err := sa.Seal([]byte("prefix"), msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(env) != len("prefix")+n+EnvelopeOverhead || string(env[:6]) != "prefix" {
			t.Fatalf("n=%d: Seal appended %d bytes", n, len(env)-6)
		}
		got, err := sb.Open([]byte("x"), env[6:])
		if err != nil || !bytes.Equal(got[1:], msg) || got[0] != 'x' {
			t.Fatalf("n=%d: Open: %v", n, err)
		}
	}
	if _, err := sa.Seal(nil, make([]byte, MaxPlaintextSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized Seal: %v", err)
	}
}

func TestEnvelopeTamper(t *testing.T) {
	sa, sb := sessions(t)
	env, _ := sa.Seal(nil, []byte("v=0 o=- sdp offer"))
	for i := range env {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(env)
			bad[i] ^= bit
			_, err := sb.Open(nil, bad)
			want := ErrAuth
			if i == 0 {
				want = ErrVersion
			}
			if !errors.Is(err, want) {
				t.Fatalf("byte %d bit %#x: err = %v, want %v", i, bit, err, want)
			}
		}
	}
	// Failed opens leave the state alone: the genuine envelope still opens.
	if _, err := sb.Open(nil, env); err != nil {
		t.Fatalf("genuine envelope after tampering: %v", err)
	}
}

func TestEnvelopeMalformed(t *testing.T) {
	sa, sb := sessions(t)
	env, _ := sa.Seal(nil, []byte("candidate"))
	for n := range len(env) {
		_, err := sb.Open(nil, env[:n])
		if err == nil {
			t.Fatalf("truncated to %d bytes: opened", n)
		}
		if n < EnvelopeOverhead && !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d: err = %v, want ErrMalformed", n, err)
		}
	}
	if _, err := sb.Open(nil, append(bytes.Clone(env), 0)); !errors.Is(err, ErrAuth) {
		t.Fatalf("extended: %v", err)
	}
	big := make([]byte, MaxPlaintextSize+EnvelopeOverhead+1)
	big[0] = WireVersion
	if _, err := sb.Open(nil, big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	if _, err := sb.Open(nil, env); err != nil {
		t.Fatalf("genuine envelope after malformed ones: %v", err)
	}
}

func TestEnvelopeReplayAndReorder(t *testing.T) {
	sa, sb := sessions(t)
	var envs [][]byte
	for _, m := range []string{"offer", "candidate 1", "candidate 2", "hangup"} {
		e, err := sa.Seal(nil, []byte(m))
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, e)
	}
	if _, err := sb.Open(nil, envs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Open(nil, envs[0]); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: err = %v, want ErrReplay", err)
	}
	if _, err := sb.Open(nil, envs[2]); !errors.Is(err, ErrReorder) {
		t.Fatalf("skip ahead: err = %v, want ErrReorder", err)
	}
	for i := 1; i < len(envs); i++ {
		if _, err := sb.Open(nil, envs[i]); err != nil {
			t.Fatalf("envelope %d in order: %v", i, err)
		}
	}
	if _, err := sb.Open(nil, envs[1]); !errors.Is(err, ErrReplay) {
		t.Fatalf("late duplicate: err = %v, want ErrReplay", err)
	}
}

func TestEnvelopeClosedAndExhausted(t *testing.T) {
	sa, sb := sessions(t)
	env, _ := sa.Seal(nil, []byte("x"))
	sa.send.seq = maxSeq - 1
	if _, err := sa.Seal(nil, []byte("last")); err != nil {
		t.Fatalf("last sequence number: %v", err)
	}
	if _, err := sa.Seal(nil, []byte("one too many")); !errors.Is(err, ErrExhausted) {
		t.Fatalf("err = %v, want ErrExhausted", err)
	}
	sa.Close()
	sb.Close()
	if _, err := sa.Seal(nil, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Seal after Close: %v", err)
	}
	if _, err := sb.Open(nil, env); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open after Close: %v", err)
	}
}

func TestEnvelopeOverlapRefused(t *testing.T) {
	sa, sb := sessions(t)
	buf := make([]byte, 100, 200)
	if _, err := sa.Seal(buf[:10], buf[10:60]); !errors.Is(err, ErrConfig) {
		t.Fatalf("overlapping Seal: %v", err)
	}
	env, _ := sa.Seal(make([]byte, 0, 64), []byte("in place?"))
	if _, err := sb.Open(env[:0], env); !errors.Is(err, ErrConfig) {
		t.Fatalf("overlapping Open: %v", err)
	}
	if _, err := sb.Open(nil, env); err != nil {
		t.Fatalf("after refused overlap: %v", err)
	}
}

func TestEnvelopeConcurrent(t *testing.T) {
	sa, sb := sessions(t)
	const n = 200
	envs := make(chan []byte, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range n / 4 {
				e, err := sa.Seal(nil, []byte("ice candidate"))
				if err != nil {
					t.Error(err)
					return
				}
				envs <- e
			}
		})
	}
	wg.Wait()
	close(envs)
	// Sealed concurrently, so arrival order is arbitrary; sort by sequence.
	bySeq := make([][]byte, n)
	for e := range envs {
		seq := int(e[8])
		bySeq[seq] = e
	}
	for i, e := range bySeq {
		if _, err := sb.Open(nil, e); err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
	}
}

func TestEnvelopeZeroAllocs(t *testing.T) {
	sa, sb := sessions(t)
	msg := make([]byte, 512)
	env := make([]byte, 0, len(msg)+EnvelopeOverhead)
	out := make([]byte, 0, len(msg))
	allocs := testing.AllocsPerRun(100, func() {
		e, err := sa.Seal(env[:0], msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sb.Open(out[:0], e); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Seal+Open: %v allocs/op, want 0", allocs)
	}
}
