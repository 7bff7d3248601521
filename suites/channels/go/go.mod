module syncscope/channels/peer

go 1.19

require (
	syncscope/gbench v0.0.0
	syncscope/hist v0.0.0
)

// gbench and hist are this repository's suites/common/go/gbench and
// suites/common/go/hist (no download).
replace syncscope/gbench => ../../common/go/gbench

replace syncscope/hist => ../../common/go/hist
