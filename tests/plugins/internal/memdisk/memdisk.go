// Package memdisk is the RAM disk of the test plugins: a byte slice
// behind a lock.  Requests are within the disk: nbdkit checks them
// against GetSize before a plugin sees them.
package memdisk

import "sync"

// Disk is a RAM disk, safe for concurrent requests.
type Disk struct {
	mu   sync.RWMutex
	data []byte
}

// New returns a disk of size bytes, all zero.
func New(size uint64) *Disk {
	return &Disk{data: make([]byte, size)}
}

// Read fills buf from offset.
func (d *Disk) Read(buf []byte, offset uint64) {
	d.mu.RLock()
	copy(buf, d.data[offset:])
	d.mu.RUnlock()
}

// Write stores buf at offset.
func (d *Disk) Write(buf []byte, offset uint64) {
	d.mu.Lock()
	copy(d.data[offset:], buf)
	d.mu.Unlock()
}

// Zero zeroes count bytes at offset.
func (d *Disk) Zero(count uint32, offset uint64) {
	d.mu.Lock()
	b := d.data[offset : offset+uint64(count)]
	for i := range b {
		b[i] = 0
	}
	d.mu.Unlock()
}
