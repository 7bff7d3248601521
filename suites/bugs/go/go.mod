module syncscope/bugs/zoo

go 1.19
