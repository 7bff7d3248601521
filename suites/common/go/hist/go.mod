module syncscope/hist

go 1.19
