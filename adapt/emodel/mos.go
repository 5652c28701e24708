package emodel

// WidebandScale is the factor of G.107.1 that maps a wideband rating onto the narrowband scale
// before the MOS conversion: MOS_WB = MOS(R_WB / 1.29).
const WidebandScale = 1.29

// MOS converts a narrowband-scale rating R into MOS_CQE (G.107 Annex B):
//
//	MOS = 1                                           for R ≤ 0,
//	MOS = 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶   for 0 < R < 100,
//	MOS = 4.5                                         for R ≥ 100.
//
// The cubic dips slightly below 1 for 0 < R < 6.46 (to 0.99 at R ≈ 3.2); MOS returns 1 there,
// so the mapping stays in [1, 4.5], continuous and non-decreasing. MOS(NaN) is NaN. For a wideband rating use
// Band.MOS or divide by WidebandScale first.
func MOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	case r > 0:
		return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
	default: // NaN
		return r
	}
}
