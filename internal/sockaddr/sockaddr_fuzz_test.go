// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package sockaddr

// Fuzzing the conversion of the peer's struct sockaddr (tests/fuzz.sh
// runs go test -fuzz).

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
)

// vsockAddr stands for the binding's VsockAddr.
type vsockAddr struct{ cid, port uint32 }

func (a *vsockAddr) Network() string { return "vsock" }
func (a *vsockAddr) String() string  { return fmt.Sprintf("vsock:%d:%d", a.cid, a.port) }

func newVsockAddr(cid, port uint32) net.Addr { return &vsockAddr{cid: cid, port: port} }

// FuzzToAddr: any bytes give an address or an error, never a panic,
// and an address says what the bytes say.
func FuzzToAddr(f *testing.F) {
	family := func(n uint16) []byte {
		b := make([]byte, 2)
		binary.LittleEndian.PutUint16(b, n)
		return b
	}
	f.Add(append(family(syscall.AF_UNIX), "/tmp/sock\x00junk"...))
	f.Add(append(family(syscall.AF_INET), 0x28, 0x29, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add(append(family(syscall.AF_INET6), make([]byte, 26)...))
	f.Add(append(family(afVsock), 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0))
	f.Add([]byte{1})
	f.Add(family(syscall.AF_INET))
	f.Fuzz(func(t *testing.T, raw []byte) {
		addr, err := ToAddr(raw, newVsockAddr)
		if err != nil {
			if addr != nil {
				t.Fatalf("%x: an address and an error", raw)
			}
			return
		}
		if nativeBigEndian {
			return
		}
		switch a := addr.(type) {
		case *net.UnixAddr:
			if strings.IndexByte(a.Name, 0) >= 0 || !strings.HasPrefix(string(raw[2:]), a.Name) {
				t.Fatalf("%x: unix address %q", raw, a.Name)
			}
		case *net.TCPAddr:
			if a.Port != int(binary.BigEndian.Uint16(raw[2:4])) ||
				(len(a.IP) != 4 && len(a.IP) != 16) {
				t.Fatalf("%x: tcp address %v", raw, a)
			}
		case *vsockAddr:
			if a.port != binary.LittleEndian.Uint32(raw[4:8]) ||
				a.cid != binary.LittleEndian.Uint32(raw[8:12]) {
				t.Fatalf("%x: vsock address %v", raw, a)
			}
		default:
			t.Fatalf("%x: an address of type %T", raw, addr)
		}
	})
}
