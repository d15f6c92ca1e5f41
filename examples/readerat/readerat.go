// A file served with nbdkit.NewReaderAtConnection: anything that is an
// io.ReaderAt (a file, a bytes.Reader, an object-store client) becomes
// a disk in a few lines.
//
//	truncate -s 1G /var/tmp/disk.img
//	go build -buildmode=c-shared -o nbdkit-readerat-plugin.so
//	nbdkit -f -U /tmp/disk.sock ./nbdkit-readerat-plugin.so file=/var/tmp/disk.img
//
// Parameters:
//
//	file=PATH       the file to serve (required; relative to where
//	                nbdkit started)
//	readonly=BOOL   serve it read-only (default no)
//
// An *os.File is an io.ReaderAt and an io.WriterAt and has Sync, so the
// export is writable and has Flush; read-only, the file is served
// through an io.SectionReader, which is only an io.ReaderAt.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"libguestfs.org/nbdkit"
)

type readerAtPlugin struct {
	nbdkit.Plugin
	path     string
	readonly bool
	file     *os.File
	size     int64
}

func (p *readerAtPlugin) Config(key string, value string) error {
	var err error
	switch key {
	case "file":
		p.path, err = nbdkit.AbsolutePath(value)
	case "readonly":
		p.readonly, err = nbdkit.ParseBool(value)
	default:
		return p.Plugin.Config(key, value)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %w", key, value, err)
	}
	return nil
}

func (p *readerAtPlugin) ConfigComplete() error {
	if p.path == "" {
		return errors.New("the file parameter is required, for example file=disk.img")
	}
	return nil
}

// GetReady opens the file once, for every connection: ReadAt and
// WriteAt on an *os.File are safe from many threads at once.
func (p *readerAtPlugin) GetReady() error {
	mode := os.O_RDWR
	if p.readonly {
		mode = os.O_RDONLY
	}
	file, err := os.OpenFile(p.path, mode, 0)
	if err != nil {
		return err
	}
	info, err := file.Stat()
	if err != nil {
		return err
	}
	p.file, p.size = file, info.Size()
	return nil
}

func (p *readerAtPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	if p.readonly {
		return nbdkit.NewReaderAtConnection(io.NewSectionReader(p.file, 0, p.size), uint64(p.size)), nil
	}
	return nbdkit.NewReaderAtConnection(p.file, uint64(p.size)), nil
}

func init() { nbdkit.Register("readerat", &readerAtPlugin{}) }

func main() {}
