// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"unsafe"
)

// TestSockaddrToAddr: PeerName's addresses are the documented types,
// an AF_VSOCK one this package's *VsockAddr (internal/sockaddr's fuzz
// test checks the rest of the conversion).
func TestSockaddrToAddr(t *testing.T) {
	var host binary.ByteOrder = binary.LittleEndian
	if x := uint16(1); *(*byte)(unsafe.Pointer(&x)) == 0 {
		host = binary.BigEndian
	}
	vsock := make([]byte, 12) // family, reserved1, port, cid
	host.PutUint16(vsock, 40)
	host.PutUint32(vsock[4:], 10000)
	host.PutUint32(vsock[8:], 3)
	addr, err := sockaddrToAddr(vsock)
	if a, ok := addr.(*VsockAddr); err != nil || !ok || *a != (VsockAddr{CID: 3, Port: 10000}) ||
		a.String() != "vsock:3:10000" {
		t.Errorf("AF_VSOCK: %#v, %v", addr, err)
	}
	unix := append(make([]byte, 2), "/tmp/s\x00"...)
	host.PutUint16(unix, syscall.AF_UNIX)
	addr, err = sockaddrToAddr(unix)
	if a, ok := addr.(*net.UnixAddr); err != nil || !ok || a.Name != "/tmp/s" {
		t.Errorf("AF_UNIX: %#v, %v", addr, err)
	}
}
