module syncscope/goroutines/peer

go 1.19
