// A disk backed by a file.
//
//	truncate -s 1G /var/tmp/disk.img
//	go build -buildmode=c-shared -o nbdkit-disk-plugin.so
//	nbdkit -f -U /tmp/disk.sock ./nbdkit-disk-plugin.so file=/var/tmp/disk.img
//	nbdinfo 'nbd+unix:///?socket=/tmp/disk.sock'
//
// Parameters:
//
//	file=PATH       the file to serve (required); a relative PATH is
//	                taken from the directory nbdkit was started in
//	readonly=BOOL   yes, true, on or 1 serve it read-only (default no;
//	                nbdkit -r does the same for every plugin)
//
// It shows: checking the configuration before serving, a file per
// connection, errors from the os package reaching the client with
// their errno, Flush, and Trim by punching a hole in the file.
package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"libguestfs.org/nbdkit"
)

// diskPlugin is the plugin: its configuration.
type diskPlugin struct {
	nbdkit.Plugin
	file     string // from file=
	readonly bool   // from readonly=
}

// diskConnection is one client connection, with its own open file.
type diskConnection struct {
	nbdkit.Connection
	file     *os.File
	readonly bool
}

// Compile-time checks that the types implement the interfaces.
var (
	_ nbdkit.PluginInterface     = (*diskPlugin)(nil)
	_ nbdkit.ConnectionInterface = (*diskConnection)(nil)
)

// Config is called once for each key=value on the nbdkit command line.
func (p *diskPlugin) Config(key string, value string) error {
	switch key {
	case "file":
		// A daemon serves from /, so a relative path must be made
		// absolute now, while it still means what the user meant.
		file, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return fmt.Errorf("file=%s: %w", value, err)
		}
		p.file = file
	case "readonly":
		// nbdkit's own booleans: yes/no, true/false, on/off, 1/0.
		readonly, err := nbdkit.ParseBool(value)
		if err != nil {
			return fmt.Errorf("readonly=%s: %w", value, err)
		}
		p.readonly = readonly
	default:
		// The embedded nbdkit.Plugin rejects any other key.
		return p.Plugin.Config(key, value)
	}
	return nil
}

// ConfigComplete is called after the last Config.  Checking here that
// the file exists makes nbdkit fail at once, with a clear message,
// instead of failing every connection later.
func (p *diskPlugin) ConfigComplete() error {
	if p.file == "" {
		return errors.New("the file parameter is required, for example file=disk.img")
	}
	info, err := os.Stat(p.file)
	if err != nil {
		// err names the file: "stat disk.img: no such file or directory"
		return fmt.Errorf("file parameter: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("file=%s: not a regular file", p.file)
	}
	return nil
}

// Open is called for each new connection.  readonly is true when nbdkit
// runs with -r or the client asked for a read-only connection; the file
// is then opened read-only too.
//
// Each connection opens the file itself.  That is simple and correct:
// the kernel shares one page cache between all of them.
func (p *diskPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	readonly = readonly || p.readonly
	mode := os.O_RDWR
	if readonly {
		mode = os.O_RDONLY
	}
	file, err := os.OpenFile(p.file, mode, 0)
	if err != nil {
		// err is an *os.PathError wrapping a syscall.Errno (ENOENT,
		// EACCES, ...).  The binding finds the errno with errors.As
		// and sends it to the client, so it needs no translation.
		return nil, err
	}
	return &diskConnection{file: file, readonly: readonly}, nil
}

// Close is called when the connection ends.
func (c *diskConnection) Close() {
	c.file.Close()
}

// GetSize returns the size of the file.  Stat is asked each time a
// client connects, so a file that grew between connections is seen at
// its new size.
func (c *diskConnection) GetSize() (uint64, error) {
	info, err := c.file.Stat()
	if err != nil {
		return 0, err
	}
	return uint64(info.Size()), nil
}

// CanWrite enables PWrite, unless the file was opened read-only.
func (c *diskConnection) CanWrite() (bool, error) { return !c.readonly, nil }

// CanFlush enables Flush.  Because Flush exists, the binding also
// advertises FUA (force unit access) to clients and emulates it: nbdkit
// calls Flush after a write that asked for FUA, so PWrite never sees
// nbdkit.FlagFUA.
func (c *diskConnection) CanFlush() (bool, error) { return true, nil }

// CanTrim enables Trim.
func (c *diskConnection) CanTrim() (bool, error) { return true, nil }

// CanMultiConn says that a client may spread its requests over several
// connections: they all reach the same file through the same page
// cache, and Flush (fsync) makes the whole file durable, whichever
// connection wrote it.
func (c *diskConnection) CanMultiConn() (bool, error) { return true, nil }

// There is no Zero method, and CanZero (from the embedded
// nbdkit.Connection) says false: nbdkit then zeroes a range by writing
// zeroes with PWrite.

// PRead fills buf with the data at offset.  nbdkit has already checked
// that the request lies within GetSize.  buf is nbdkit's own buffer: it
// must not be kept after PRead returns.
//
// ReadAt and WriteAt are safe to call from many threads at once, which
// the parallel thread model does, and never move the file offset.
func (c *diskConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	_, err := c.file.ReadAt(buf, int64(offset))
	return err
}

// PWrite writes buf at offset.  The same rules as PRead apply to buf.
// An error such as ENOSPC reaches the client as ENOSPC.
func (c *diskConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	_, err := c.file.WriteAt(buf, int64(offset))
	return err
}

// Flush makes every write that has completed durable.
func (c *diskConnection) Flush(flags uint32) error {
	return c.file.Sync()
}

// The fallocate(2) mode that deallocates a range and leaves the file's
// size as it is.  It is Linux's; the syscall package does not name it.
const (
	fallocKeepSize  = 0x01 // FALLOC_FL_KEEP_SIZE
	fallocPunchHole = 0x02 // FALLOC_FL_PUNCH_HOLE
)

// Trim discards count bytes at offset by punching a hole in the file:
// the blocks are freed and the range reads back as zeroes.
func (c *diskConnection) Trim(count uint32, offset uint64, flags uint32) error {
	err := syscall.Fallocate(int(c.file.Fd()), fallocPunchHole|fallocKeepSize,
		int64(offset), int64(count))
	if err != nil {
		// err is a syscall.Errno; wrapping it with %w keeps it
		// visible to errors.As, so a file system that cannot punch
		// holes makes the client see EOPNOTSUPP, not EIO.
		return fmt.Errorf("fallocate: %w", err)
	}
	return nil
}

func init() {
	nbdkit.Register("disk", &diskPlugin{})
}

// main is never called, but package main must have one.
func main() {}
