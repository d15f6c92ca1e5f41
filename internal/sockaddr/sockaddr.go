// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Package sockaddr converts the peer's address that nbdkit_peer_name
// returns, a struct sockaddr, to a net.Addr (for PeerName in
// libguestfs.org/nbdkit).  It needs no cgo, so that it is fuzzed
// without it.
package sockaddr

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"syscall"
	"unsafe"
)

// afVsock is AF_VSOCK, which package syscall does not name.
const afVsock = 40

// ToAddr converts a struct sockaddr, as raw bytes in the host's byte
// order (ports and IPv4/IPv6 addresses in network order), to a
// net.Addr: a *net.UnixAddr, a *net.TCPAddr, or for AF_VSOCK what
// vsock makes of the CID and port (the binding's own type, which this
// package cannot import).
func ToAddr(raw []byte, vsock func(cid, port uint32) net.Addr) (net.Addr, error) {
	if len(raw) < 2 {
		return nil, fmt.Errorf("PeerName: address of %d bytes", len(raw))
	}
	family := binary.LittleEndian.Uint16(raw)
	if nativeBigEndian {
		family = binary.BigEndian.Uint16(raw)
	}
	switch {
	case family == syscall.AF_UNIX:
		path := string(raw[2:])
		if i := strings.IndexByte(path, 0); i >= 0 {
			path = path[:i]
		}
		return &net.UnixAddr{Name: path, Net: "unix"}, nil
	case family == syscall.AF_INET && len(raw) >= 8:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), raw[4:8]...)),
			Port: int(binary.BigEndian.Uint16(raw[2:4]))}, nil
	case family == syscall.AF_INET6 && len(raw) >= 28:
		addr := &net.TCPAddr{IP: net.IP(append([]byte(nil), raw[8:24]...)),
			Port: int(binary.BigEndian.Uint16(raw[2:4]))}
		if scope := hostUint32(raw[24:28]); scope != 0 {
			if ifi, err := net.InterfaceByIndex(int(scope)); err == nil {
				addr.Zone = ifi.Name
			} else {
				addr.Zone = fmt.Sprint(scope)
			}
		}
		return addr, nil
	case family == afVsock && len(raw) >= 12:
		// struct sockaddr_vm: family, reserved1, port, cid.
		return vsock(hostUint32(raw[8:12]), hostUint32(raw[4:8])), nil
	}
	return nil, fmt.Errorf("PeerName: unknown address family %d", family)
}

var nativeBigEndian = func() bool {
	x := uint16(1)
	return (*[2]byte)(unsafe.Pointer(&x))[0] == 0
}()

func hostUint32(b []byte) uint32 {
	if nativeBigEndian {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}
