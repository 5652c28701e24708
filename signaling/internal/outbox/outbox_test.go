package outbox

import "testing"

func TestOutbox(t *testing.T) {
	var o Outbox[string]
	for _, s := range []string{"a", "b", "c"} {
		o.Add(s, 10)
	}
	o.Ack(1)
	o.Ack(0)  // stale
	o.Ack(99) // beyond last: ignored
	var got []uint64
	o.Pending(func(seq uint64, _ string) { got = append(got, seq) })
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("pending = %v", got)
	}
	if o.Bytes() != 20 {
		t.Fatalf("bytes = %d", o.Bytes())
	}
	o.Ack(3)
	if o.Len() != 0 || o.Bytes() != 0 {
		t.Fatalf("len = %d", o.Len())
	}
	if s := o.Add("d", 1); s != 4 {
		t.Fatalf("seq = %d", s)
	}
}
