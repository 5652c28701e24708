package bench

import (
	"cmp"
	"slices"
)

// sortArrivals orders arrivals by arrival time, stably so that equal times keep send order.
func sortArrivals(a []arrival) {
	slices.SortStableFunc(a, func(x, y arrival) int { return cmp.Compare(x.at, y.at) })
}
