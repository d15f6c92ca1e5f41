// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"net"

	"libguestfs.org/nbdkit/internal/sockaddr"
)

// sockaddrToAddr converts the peer's struct sockaddr, as raw bytes, to
// a net.Addr (internal/sockaddr), an AF_VSOCK one to a *VsockAddr.
func sockaddrToAddr(raw []byte) (net.Addr, error) {
	return sockaddr.ToAddr(raw, func(cid, port uint32) net.Addr {
		return &VsockAddr{CID: cid, Port: port}
	})
}
