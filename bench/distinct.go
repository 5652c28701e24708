package bench

// DistinctRuns drops the runs that repeat an earlier seed's: for each link and clip, a seed
// whose rows (every strategy's metrics and PESQ, compared exactly) equal an earlier seed's is
// the same run again, for instance a link without randomness, and counting it twice would
// weigh it double in the means and the P10. rows keep their order; dropped counts the
// distinct-run rows removed (all strategies of a repeated seed).
func DistinctRuns(rows []Row) (kept []Row, dropped int) {
	type key struct {
		link, clip string
		seed       uint64
	}
	type result struct {
		strategy string
		setting  FixedSetting
		m        RunMetrics
	}
	// The outcome of each link, clip and seed: its rows' results in order.
	outcome := map[key][]result{}
	var order []key
	for _, r := range rows {
		k := key{r.Profile, r.Clip, r.Seed}
		if _, ok := outcome[k]; !ok {
			order = append(order, k)
		}
		outcome[k] = append(outcome[k], result{r.Strategy, r.Fixed, r.RunMetrics})
	}
	same := func(a, b []result) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	dup := map[key]bool{}
	for i, k := range order {
		for _, e := range order[:i] {
			if e.link == k.link && e.clip == k.clip && !dup[e] && same(outcome[e], outcome[k]) {
				dup[k] = true
				break
			}
		}
	}
	for _, r := range rows {
		if dup[key{r.Profile, r.Clip, r.Seed}] {
			dropped++
			continue
		}
		kept = append(kept, r)
	}
	return kept, dropped
}
