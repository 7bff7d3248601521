package hist

import "testing"

// The histogram must bin exactly like suites/common/histogram.h so that the
// C++ and Go latency CDFs are comparable: exact below 128, then 64
// sub-buckets per power of two.
func TestLayoutMatchesCpp(t *testing.T) {
	if bucketCount != 64*57+128 {
		t.Fatalf("bucketCount = %d, want %d", bucketCount, 64*57+128)
	}
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1234567, 1 << 40, 1<<63 + 5} {
		b := bucketOf(v)
		if v < lowerBound(b) || v > upperBound(b) {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, b, lowerBound(b), upperBound(b))
		}
		if v >= 128 && float64(upperBound(b)-lowerBound(b)) > float64(v)/64 {
			t.Errorf("value %d: bucket %d wider than 1/64 of it", v, b)
		}
	}
	for b := 0; b+1 < bucketCount; b++ {
		if upperBound(b)+1 != lowerBound(b+1) {
			t.Fatalf("bucket %d and %d are not contiguous", b, b+1)
		}
	}
	if bucketOf(127) != 127 || bucketOf(128) != 128 || bucketOf(130) != 129 || bucketOf(256) != 192 {
		t.Errorf("bucketOf(127, 128, 130, 256) = %d, %d, %d, %d; want 127, 128, 129, 192",
			bucketOf(127), bucketOf(128), bucketOf(130), bucketOf(256))
	}
}

// Percentiles by nearest rank, as the bucket's upper bound clamped to the
// exact max; merge, mean, min, and an empty histogram's zeros.
func TestPercentilesMergeAndMean(t *testing.T) {
	empty := New()
	if empty.Percentile(0.5) != 0 || empty.MinValue() != 0 || empty.Mean() != 0 ||
		empty.Buckets() == nil || len(empty.Buckets()) != 0 {
		t.Fatal("an empty histogram reports 0 and no buckets")
	}
	a, b := New(), New()
	for v := uint64(1); v <= 100; v++ {
		a.Record(v)
	}
	if a.Percentile(0.5) != 50 || a.Percentile(0.99) != 99 || a.Mean() != 50.5 {
		t.Errorf("exact range: p50 %d p99 %d mean %f", a.Percentile(0.5), a.Percentile(0.99), a.Mean())
	}
	b.Record(1500000)
	a.Merge(b)
	if a.Count() != 101 || a.MinValue() != 1 || a.Max() != 1500000 {
		t.Fatalf("count/min/max = %d/%d/%d", a.Count(), a.MinValue(), a.Max())
	}
	if p := a.Percentile(0.5); p != 51 {
		t.Errorf("p50 = %d, want 51 (exact below 128)", p)
	}
	if p := a.Percentile(1); p != 1500000 {
		t.Errorf("p100 = %d, want the max", p)
	}
	bs := a.Buckets()
	if len(bs) != 101 || bs[len(bs)-1] != [2]uint64{1500000, 1} {
		t.Errorf("buckets: %d entries, last %v (want its upper bound clamped to the max)", len(bs), bs[len(bs)-1])
	}
}
