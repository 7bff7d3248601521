package hist

import (
	"math"
	"math/bits"
)

// Histogram is the Go twin of suites/common/histogram.h
// (LogLinearHistogram, after HdrHistogram): values below 2*subBuckets get one
// bucket each; above, every power-of-two range is split into subBuckets equal
// buckets, so a percentile is off by less than 1/subBuckets (1.6 %). The same
// layout on both sides means syncscope's and Go's latency CDFs are binned alike
// (the channels, fairness/starvation and distributed peers share this package).
const (
	subBucketBits = 6
	subBuckets    = 1 << subBucketBits // 64
	linearLimit   = 2 * subBuckets     // exact below this
	bucketCount   = subBuckets*(64-subBucketBits-1) + 2*subBuckets
)

// Histogram: a log-linear histogram of uint64 values (ns here).
type Histogram struct {
	counts [bucketCount]uint64
	count  uint64
	sum    float64
	min    uint64
	max    uint64
}

// New returns an empty histogram.
func New() *Histogram { return &Histogram{min: math.MaxUint64} }

func bucketOf(v uint64) int {
	if v < linearLimit {
		return int(v)
	}
	msb := 63 - bits.LeadingZeros64(v)
	shift := msb - subBucketBits
	return subBuckets*shift + int(v>>uint(shift))
}

func lowerBound(b int) uint64 {
	if b < linearLimit {
		return uint64(b)
	}
	shift := b/subBuckets - 1
	sub := uint64(b%subBuckets + subBuckets)
	return sub << uint(shift)
}

func upperBound(b int) uint64 {
	if b+1 >= bucketCount {
		return math.MaxUint64
	}
	return lowerBound(b+1) - 1
}

// Record adds one value.
func (h *Histogram) Record(v uint64) {
	h.counts[bucketOf(v)]++
	h.count++
	h.sum += float64(v)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds every value of o.
func (h *Histogram) Merge(o *Histogram) {
	for i := range h.counts {
		h.counts[i] += o.counts[i]
	}
	h.count += o.count
	h.sum += o.sum
	if o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
}

// Count is the number of values recorded; Max the largest (0 when none).
func (h *Histogram) Count() uint64 { return h.count }
func (h *Histogram) Max() uint64   { return h.max }

// Mean is the arithmetic mean of the values (0 when none).
func (h *Histogram) Mean() float64 {
	if h.count == 0 {
		return 0
	}
	return h.sum / float64(h.count)
}

// MinValue is the smallest value recorded (0 when none).
func (h *Histogram) MinValue() uint64 {
	if h.count == 0 {
		return 0
	}
	return h.min
}

// Percentile: nearest rank, reported as its bucket's upper bound clamped to
// the exact maximum (as the C++ histogram does). 0 when empty.
func (h *Histogram) Percentile(q float64) uint64 {
	if h.count == 0 {
		return 0
	}
	q = math.Max(0, math.Min(1, q))
	rank := uint64(math.Ceil(q * float64(h.count)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for b := 0; b < bucketCount; b++ {
		seen += h.counts[b]
		if seen >= rank {
			u := upperBound(b)
			if u > h.max {
				u = h.max
			}
			return u
		}
	}
	return h.max
}

// Buckets: the non-empty buckets as [upper bound, count], ascending (an
// empty, non-nil slice when none, so that JSON writes []).
func (h *Histogram) Buckets() [][2]uint64 {
	out := [][2]uint64{}
	for b := 0; b < bucketCount; b++ {
		if c := h.counts[b]; c != 0 {
			u := upperBound(b)
			if u > h.max {
				u = h.max
			}
			out = append(out, [2]uint64{u, c})
		}
	}
	return out
}
