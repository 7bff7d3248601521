module syncscope/gbench

go 1.19
