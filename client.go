// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import "net"

// Client is what nbdkit knows of a connection's client.  nbdkit's
// functions ([ExportName], [IsTLS], [PeerName]...) answer only in the
// thread of a connection callback; [CurrentClient] reads them all at
// once, in Open say, into a value that the connection's goroutines can
// keep.
type Client struct {
	ExportName string   // the export the client asked for
	TLS        bool     // the client completed TLS authentication
	Addr       net.Addr // *net.UnixAddr, *net.TCPAddr or *VsockAddr; nil if unknown
	// PID, UID and GID of a client on a Unix socket, else -1.
	PID, UID, GID int64
	// SecurityContext is the client's SELinux label on a Unix
	// socket, where nbdkit (1.36 and later) knows it; else "".
	SecurityContext string
}

// CurrentClient returns the client of the connection this callback
// serves.  Outside a connection callback (or in a goroutine) it
// returns an error, as [ExportName] does; the parts nbdkit does not know
// for this client are left at their zero value (-1 for the ids).
func CurrentClient() (Client, error) {
	name, err := ExportName()
	if err != nil {
		return Client{}, err
	}
	c := Client{ExportName: name, PID: -1, UID: -1, GID: -1}
	c.TLS, _ = IsTLS()
	c.Addr, _ = PeerName()
	if pid, err := PeerPID(); err == nil {
		c.PID = pid
	}
	if uid, err := PeerUID(); err == nil {
		c.UID = uid
	}
	if gid, err := PeerGID(); err == nil {
		c.GID = gid
	}
	c.SecurityContext, _ = PeerSecurityContext()
	return c, nil
}
