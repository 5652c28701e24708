package baseline

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtcp"
)

// errTWCC is returned for a transport-wide CC report that contradicts itself.
var errTWCC = errors.New("bench: malformed transport-wide CC feedback")

// twccAcks walks a transport-wide congestion control report (draft-holmer-rmcat-transport-
// wide-cc-extensions-01) and calls fn for each of its PacketStatusCount packets in sequence order
// with the packet's arrival time (the reference time in 64 ms units plus the running sum of the
// receive deltas, 250 µs resolution), or received=false. Symbols past PacketStatusCount are
// padding. It returns errTWCC when a received packet has no receive delta left or a chunk is of
// an unknown kind. It allocates nothing.
func twccAcks(fb *rtcp.TransportLayerCC, fn func(seq uint16, arrival time.Duration, received bool)) error {
	ref := time.Duration(fb.ReferenceTime&0xffffff) * 64 * time.Millisecond
	deltas := fb.RecvDeltas
	seq := fb.BaseSequenceNumber
	remaining := int(fb.PacketStatusCount)
	symbol := func(sym uint16) error {
		switch sym {
		case rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedLargeDelta:
			if len(deltas) == 0 || deltas[0] == nil {
				return fmt.Errorf("%w: packet %d has no receive delta", errTWCC, seq)
			}
			ref += time.Duration(deltas[0].Delta) * time.Microsecond
			deltas = deltas[1:]
			fn(seq, ref, true)
		default:
			fn(seq, 0, false)
		}
		seq++
		remaining--
		return nil
	}
	for _, c := range fb.PacketChunks {
		if remaining <= 0 {
			break
		}
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range min(int(c.RunLength), remaining) {
				if err := symbol(c.PacketStatusSymbol); err != nil {
					return err
				}
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if remaining <= 0 {
					break
				}
				if err := symbol(s); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%w: unknown chunk %T", errTWCC, c)
		}
	}
	return nil
}
