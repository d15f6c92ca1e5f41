// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Fuzzing the check of BlockSize's answer (tests/fuzz.sh runs go test
// -fuzz).

import (
	"errors"
	"syscall"
	"testing"
)

// FuzzCheckBlockSize compares checkBlockSize with the NBD protocol's
// rules, written here another way: all zero, or a minimum that is a
// power of 2 up to 64 KiB, a preferred size that is a power of 2 from
// the minimum and 512 (nbdkit's rule) to 32 MiB, and a maximum of at least the preferred size
// that the minimum divides (or 0xffffffff).
func FuzzCheckBlockSize(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint32(0))
	f.Add(uint32(512), uint32(4096), uint32(0xffffffff))
	f.Add(uint32(1), uint32(1), uint32(1))
	f.Add(uint32(1), uint32(512), uint32(512))
	f.Add(uint32(65536), uint32(32<<20), uint32(32<<20))
	f.Add(uint32(3), uint32(4096), uint32(8192))
	f.Add(uint32(512), uint32(256), uint32(8192))
	f.Add(uint32(512), uint32(4096), uint32(4097))
	f.Fuzz(func(t *testing.T, minimum, preferred, maximum uint32) {
		isPowerOf2 := func(n uint32) bool {
			for p := uint32(1); p != 0; p <<= 1 {
				if n == p {
					return true
				}
			}
			return false
		}
		valid := (minimum == 0 && preferred == 0 && maximum == 0) ||
			(isPowerOf2(minimum) && minimum <= 65536 &&
				isPowerOf2(preferred) && preferred >= minimum && preferred >= 512 &&
				preferred <= 32<<20 &&
				maximum >= preferred && (maximum == 0xffffffff || maximum%minimum == 0))
		err := checkBlockSize(minimum, preferred, maximum)
		if (err == nil) != valid {
			t.Fatalf("checkBlockSize(%d, %d, %d) = %v", minimum, preferred, maximum, err)
		}
		var pe PluginError
		if err != nil && (!errors.As(err, &pe) || pe.Errno != syscall.EINVAL) {
			t.Fatalf("checkBlockSize(%d, %d, %d): %#v, want EINVAL", minimum, preferred, maximum, err)
		}
	})
}
