module example.org/nbdkit-gofloor-plugin

go 1.19
