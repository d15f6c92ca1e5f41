// Package params parses the parameters that several test plugins
// take, with the same errors in each: they name the key.
package params

import (
	"fmt"
	"strconv"
	"strings"

	"libguestfs.org/nbdkit"
)

// Bool parses the value of key as nbdkit.ParseBool does.
func Bool(key, value string) (bool, error) {
	b, err := nbdkit.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	return b, nil
}

// BlockSize parses blocksize=MIN:PREF:MAX, each a number that
// strconv.ParseUint reads with base 0 (4096, 0x1000...).
func BlockSize(value string) (sizes [3]uint32, err error) {
	fields := strings.Split(value, ":")
	if len(fields) != 3 {
		return sizes, fmt.Errorf("blocksize: expected MIN:PREF:MAX, got %q", value)
	}
	for i, field := range fields {
		n, err := strconv.ParseUint(field, 0, 32)
		if err != nil {
			return sizes, fmt.Errorf("blocksize: %w", err)
		}
		sizes[i] = uint32(n)
	}
	return sizes, nil
}
