package netem

import (
	"bufio"
	"io"
	"strconv"
)

// ParseLossPattern reads a loss pattern for LossReplay: a sequence of '0' (delivered) and '1'
// (lost) characters, one per packet; whitespace is ignored and '#' starts a comment that runs to
// the end of the line. The result is what LossConfig.Pattern expects.
func ParseLossPattern(r io.Reader) ([]bool, error) {
	br := bufio.NewReader(io.LimitReader(r, maxTraceBytes))
	var pat []bool
	line, comment := 1, false
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, traceErr("loss pattern", "read: %v", err)
		}
		switch {
		case c == '\n':
			line, comment = line+1, false
		case comment || c == ' ' || c == '\t' || c == '\r':
		case c == '#':
			comment = true
		case c == '0' || c == '1':
			pat = append(pat, c == '1')
		default:
			return nil, traceErr("loss pattern line "+strconv.Itoa(line), "unexpected %q (want 0, 1 or whitespace)", c)
		}
	}
	if len(pat) == 0 {
		return nil, traceErr("loss pattern", "no packets")
	}
	return pat, nil
}
