package emodel

import "fmt"

// BurstRatioMarkov returns BurstR = 1/(p + q) for a two-state Markov (Gilbert) loss model
// (G.107 §7.5), where p is the probability of a loss after a received packet and q the
// probability of a reception after a lost packet, both in [0, 1] and not both 0.
//
// Loss that is less bursty than random (p + q > 1) gives 1/(p+q) < 1, a range the E-model does
// not define; the result is then clamped to 1, which rates such loss like random loss (slightly
// pessimistic).
func BurstRatioMarkov(p, q float64) (float64, error) {
	if !finite(p) || p < 0 || p > 1 {
		return 0, invalid(ErrBurstRatio, "p", p)
	}
	if !finite(q) || q < 0 || q > 1 {
		return 0, invalid(ErrBurstRatio, "q", q)
	}
	if p+q == 0 {
		return 0, fmt.Errorf("%w: p = q = 0 defines no loss process", ErrBurstRatio)
	}
	return max(1, 1/(p+q)), nil
}

// BurstRatioFromBursts returns BurstR from a measured loss fraction and mean loss-burst length
// (in packets, ≥ 1): the mean burst length divided by the mean burst length random loss at that
// rate would give, 1/(1 − loss). For a Gilbert model this equals 1/(p + q) (q = 1/meanBurst,
// loss = p/(p+q)). Results below 1 are clamped to 1 as in BurstRatioMarkov.
//
// With loss = 0 there are no bursts and the result is 1 (meanBurst is then ignored). loss must
// be below 1: a link that loses everything has no defined burst ratio.
func BurstRatioFromBursts(loss, meanBurst float64) (float64, error) {
	if !finite(loss) {
		return 0, invalid(ErrLoss, "loss", loss)
	}
	if loss < 0 || loss >= 1 {
		return 0, fmt.Errorf("%w: loss = %v (a burst ratio needs loss below 1)", ErrLoss, loss)
	}
	if loss == 0 {
		return 1, nil
	}
	if !finite(meanBurst) || meanBurst < 1 {
		return 0, invalid(ErrBurstRatio, "mean burst length", meanBurst)
	}
	return max(1, meanBurst*(1-loss)), nil
}

// PostBufferLoss returns the loss the E-model should see: network + late − recovered, where all
// three are fractions 0..1 of the packets sent: network the packets that never arrived, late the
// packets that arrived after their playout deadline, recovered the packets among those two that
// FEC or RED reconstructed. The result must itself be a fraction in [0, 1], otherwise the inputs
// are inconsistent and ErrLoss is returned.
func PostBufferLoss(network, late, recovered float64) (float64, error) {
	for _, v := range [...]struct {
		name string
		v    float64
	}{{"network loss", network}, {"late loss", late}, {"recovered", recovered}} {
		if !finite(v.v) || v.v < 0 || v.v > 1 {
			return 0, invalid(ErrLoss, v.name, v.v)
		}
	}
	l := network + late - recovered
	if l < 0 || l > 1 {
		return 0, fmt.Errorf("%w: network %v + late %v − recovered %v = %v", ErrLoss, network, late,
			recovered, l)
	}
	return l, nil
}
