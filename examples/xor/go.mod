module example.org/nbdkit-xor-filter

go 1.19

require libguestfs.org/nbdkit v0.0.0

// Point this at your copy of the binding when you copy the example out.
replace libguestfs.org/nbdkit => ../..
