module syncscope/channels/peer

go 1.19
