module example.org/nbdkit-test-filters

go 1.19

require libguestfs.org/nbdkit v0.0.0

replace libguestfs.org/nbdkit => ../..
