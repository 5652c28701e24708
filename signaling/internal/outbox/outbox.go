// Package outbox numbers reliable messages and keeps them until the other side acknowledges
// them, so a resumed session can resend exactly what was not received. Both ends of the
// signaling protocol use it.
package outbox

// Outbox holds sent-but-unacknowledged items in sequence order. The zero value is ready to
// use and numbers from 1. Not safe for concurrent use.
type Outbox[T any] struct {
	last  uint64 // sequence number of the last item added
	acked uint64 // highest sequence number acknowledged
	items []T    // items[i] has sequence number acked+1+i
	sizes []int  // sizes[i] is the size given for items[i]
	bytes int    // sum of sizes
}

// Add appends item, counting size bytes for it, and returns its sequence number.
func (o *Outbox[T]) Add(item T, size int) uint64 {
	o.last++
	o.items = append(o.items, item)
	o.sizes = append(o.sizes, size)
	o.bytes += size
	return o.last
}

// Bytes returns the total size of the unacknowledged items.
func (o *Outbox[T]) Bytes() int { return o.bytes }

// Ack drops every item up to and including seq. Acks at or below an earlier one, and acks
// beyond the last item (a confused or hostile peer), are ignored.
func (o *Outbox[T]) Ack(seq uint64) {
	if seq <= o.acked || seq > o.last {
		return
	}
	n := int(seq - o.acked)
	var zero T
	for i := range n {
		o.items[i] = zero
		o.bytes -= o.sizes[i]
	}
	o.items, o.sizes = o.items[n:], o.sizes[n:]
	o.acked = seq
	if len(o.items) == 0 {
		o.items, o.sizes = nil, nil // let the backing arrays go after a burst
	}
}

// Len returns the number of unacknowledged items.
func (o *Outbox[T]) Len() int { return len(o.items) }

// Pending calls f for each unacknowledged item in order with its sequence number.
func (o *Outbox[T]) Pending(f func(seq uint64, item T)) {
	for i, it := range o.items {
		f(o.acked+1+uint64(i), it)
	}
}

// Reset forgets everything and numbers from 1 again.
func (o *Outbox[T]) Reset() { *o = Outbox[T]{} }
