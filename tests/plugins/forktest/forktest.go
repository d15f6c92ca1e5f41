// A test plugin for nbdkit's forking modes (daemon and --run): a RAM
// disk whose Go runtime is put to work, so that a broken runtime hangs
// instead of passing by luck: GetReady allocates 64 MiB, and every
// request starts goroutines, sleeps on a timer and allocates.
//
// Parameters:
//
//	size=SIZE      disk size (default 64M)
//	log=FILE       append "pid=PID EVENT" lines: Load, GetReady,
//	               AfterFork, Open, Close, Cleanup, Unload, with
//	               reexecuted= and willreexecute= on Load and GetReady
//	lock=FILE      take an exclusive lock on FILE in AfterFork; fail
//	               if it is held
//	failsecond=1   GetReady fails in the re-executed server
//	panicat=OFFSET a read at OFFSET panics in a goroutine (a crash)
//	listen=ADDR    GetReady listens on TCP ADDR, as plugins written for
//	               the in-tree binding do their one-time set-up there,
//	               and answers every connection with "forktest PID\n"
//	password=P     read with nbdkit.ReadPassword ("-FD", "+FILE"...);
//	               logs "Password LENGTH"
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"example.org/nbdkit-test-plugins/internal/memdisk"
	"libguestfs.org/nbdkit"
)

type forkPlugin struct {
	nbdkit.Plugin
	size       uint64
	logPath    string
	lockPath   string
	lock       *os.File
	failSecond bool
	panicAt    int64
	listenAddr string
	listener   net.Listener
	ballast    []byte
	disk       *memdisk.Disk
}

type forkConnection struct {
	nbdkit.Connection
	p *forkPlugin
}

var (
	_ nbdkit.AfterForker = (*forkPlugin)(nil)
	_ nbdkit.Cleaner     = (*forkPlugin)(nil)
)

func (p *forkPlugin) log(format string, args ...interface{}) {
	if p.logPath == "" {
		return
	}
	f, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0666)
	if err != nil {
		nbdkit.Error("log: " + err.Error())
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "pid=%d %s\n", os.Getpid(), fmt.Sprintf(format, args...))
}

func (p *forkPlugin) phase() string {
	return fmt.Sprintf("reexecuted=%v willreexecute=%v", nbdkit.Reexecuted(), nbdkit.WillReexecute())
}

func (p *forkPlugin) Config(key, value string) error {
	switch key {
	case "size":
		size, err := nbdkit.ParseSize(value)
		if err != nil {
			return err
		}
		p.size = uint64(size)
	case "log":
		// Absolute: a daemon's AfterFork runs in "/".
		path, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return err
		}
		p.logPath = path
		p.log("Load %s", p.phase()) // Load itself runs before the first Config
	case "lock":
		path, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return err
		}
		p.lockPath = path
	case "failsecond":
		p.failSecond = value == "1"
	case "listen":
		p.listenAddr = value
	case "password":
		password, err := nbdkit.ReadPassword(value)
		if err != nil {
			return err
		}
		p.log("Password %d", len(password))
	case "panicat":
		n, err := strconv.ParseInt(value, 0, 64)
		if err != nil {
			return err
		}
		p.panicAt = n
	default:
		return p.Plugin.Config(key, value)
	}
	return nil
}

func (p *forkPlugin) GetReady() error {
	p.log("GetReady %s", p.phase())
	if p.failSecond && nbdkit.Reexecuted() {
		return errors.New("failing on purpose in the re-executed server")
	}
	if p.listenAddr != "" {
		l, err := net.Listen("tcp", p.listenAddr)
		if err != nil {
			return err
		}
		p.listener = l
		p.log("Listening %s", p.listenAddr)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "forktest %d\n", os.Getpid())
				c.Close()
			}
		}()
	}
	p.ballast = make([]byte, 64<<20)
	for i := 0; i < len(p.ballast); i += 4096 {
		p.ballast[i] = 1
	}
	if p.size == 0 {
		p.size = 64 << 20
	}
	p.disk = memdisk.New(p.size)
	return nil
}

func (p *forkPlugin) AfterFork() error {
	p.log("AfterFork")
	if p.lockPath != "" {
		f, err := os.OpenFile(p.lockPath, os.O_RDWR|os.O_CREATE, 0666)
		if err != nil {
			return err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return fmt.Errorf("lock %s: %w", p.lockPath, err)
		}
		p.lock = f
		p.log("Locked")
	}
	return nil
}

func (p *forkPlugin) Cleanup() { p.log("Cleanup") }

func (p *forkPlugin) Unload() { p.log("Unload") }

func (p *forkPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	p.log("Open")
	return &forkConnection{p: p}, nil
}

func (c *forkConnection) Close() { c.p.log("Close") }

func (c *forkConnection) GetSize() (uint64, error)    { return c.p.size, nil }
func (c *forkConnection) CanWrite() (bool, error)     { return true, nil }
func (c *forkConnection) CanMultiConn() (bool, error) { return true, nil }

// exercise makes the Go runtime do real work: goroutines, a timer, and
// garbage.
func exercise() {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-time.After(100 * time.Microsecond)
			_ = make([]byte, 64<<10)
		}()
	}
	wg.Wait()
}

func (c *forkConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	if c.p.panicAt != 0 && int64(offset) == c.p.panicAt {
		done := make(chan struct{})
		go func() {
			defer close(done)
			panic(fmt.Sprintf("forktest: deliberate crash at offset %d", offset))
		}()
		<-done
	}
	exercise()
	c.p.disk.Read(buf, offset)
	return nil
}

func (c *forkConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	exercise()
	c.p.disk.Write(buf, offset)
	return nil
}

func init() {
	nbdkit.Register("forktest", &forkPlugin{})
}

func main() {}
