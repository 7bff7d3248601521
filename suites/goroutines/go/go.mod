module syncscope/goroutines/peer

go 1.19

require syncscope/gbench v0.0.0

// gbench is this repository's suites/common/go/gbench (no download).
replace syncscope/gbench => ../../common/go/gbench
