package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteCodecTable prints rows as an aligned table, grouped by condition.
func WriteCodecTable(w io.Writer, rows []CodecRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	rate := "48 kHz"
	if len(rows) > 0 && rows[0].SampleRateHz != 0 {
		rate = fmt.Sprintf("%g kHz", float64(rows[0].SampleRateHz)/1000)
	}
	fmt.Fprintf(tw, "condition\tconfig (Opus at %s)\tpayload kb/s\tnet loss\tDRED\tresidual\tbuffer ms\tPESQ-WB\t±95%%\tPESQ-NB\t±95%%\truns\t\n", rate)
	for _, cond := range conditionOrder(rows) {
		for _, r := range rows {
			if r.Condition != cond {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f%%\t%.1f%%\t%.1f%%\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t\n",
				r.Condition, r.Config, r.PayloadKbps, 100*r.NetworkLoss, 100*r.DREDShare, 100*r.ResidualLoss, r.JitterBufMs,
				r.WB, r.WBCI, r.NB, r.NBCI, r.Runs)
		}
	}
	return tw.Flush()
}

func conditionOrder(rows []CodecRow) []string {
	var order []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Condition] {
			seen[r.Condition] = true
			order = append(order, r.Condition)
		}
	}
	return order
}

// WriteCodecCSV writes rows as CSV with a header line.
func WriteCodecCSV(w io.Writer, rows []CodecRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"config", "condition", "loss_rate", "bursty", "bitrate_bps", "frame_ms", "fec", "red_depth",
		"red_low_rate_bps", "jitter_buffer_ms", "runs", "pesq_wb", "pesq_wb_ci95", "pesq_nb", "pesq_nb_ci95",
		"payload_kbps", "network_loss", "residual_loss", "decoder_complexity", "dred_ms", "dred_recovered", "sample_rate_hz"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, r := range rows {
		cw.Write([]string{r.Config, r.Condition, f(r.LossRate), strconv.FormatBool(r.Bursty), strconv.Itoa(r.BitrateBps),
			strconv.Itoa(r.FrameMs), strconv.FormatBool(r.FEC), strconv.Itoa(r.REDDepth), strconv.Itoa(r.REDLowRateBps),
			strconv.Itoa(r.JitterBufMs), strconv.Itoa(r.Runs), f(r.WB), f(r.WBCI), f(r.NB), f(r.NBCI),
			f(r.PayloadKbps), f(r.NetworkLoss), f(r.ResidualLoss), strconv.Itoa(r.DecoderCompl), strconv.Itoa(r.DREDMs),
			f(r.DREDShare), strconv.Itoa(r.SampleRateHz)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteCodecJSON writes rows as an indented JSON array.
func WriteCodecJSON(w io.Writer, rows []CodecRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
