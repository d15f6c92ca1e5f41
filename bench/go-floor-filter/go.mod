module example.org/nbdkit-floor-filter

go 1.19
