package nbdkittest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SkipMissingEnv is the environment variable that, set to a non-empty
// value, makes Serve skip the test instead of failing it when nbdkit is
// not installed.
const SkipMissingEnv = "NBDKITTEST_SKIP_MISSING"

// VerboseEnv, set to a non-empty value, runs every server with -v, as
// Options.Verbose does.
const VerboseEnv = "NBDKITTEST_VERBOSE"

// ErrNoNbdkit is the error of Start when there is no nbdkit to run.
var ErrNoNbdkit = errors.New("nbdkit is not installed (Debian: apt-get install nbdkit; " +
	"or set $NBDKIT to its path)")

// Options say how to run nbdkit.
type Options struct {
	// Dir is the directory of the plugin's package, built with Build;
	// "" is the current directory, the test's own package in go test.
	Dir string
	// Plugin, if set, is served instead of building Dir: a built
	// plugin (a path, as Build returns) or the name of an installed
	// plugin ("memory").
	Plugin string
	// Params are the plugin's key=value parameters.
	Params []string
	// Filters are nbdkit filters, outermost first (--filter=NAME).
	Filters []string
	// Threads, if not 0, is nbdkit's -t: its threads per connection.
	Threads int
	// ReadOnly is nbdkit's -r.
	ReadOnly bool
	// Args are more nbdkit options, placed before the plugin:
	// "--tls=require", "--tls-psk=FILE", "-D", "sparse.extents=1"...
	Args []string
	// Verbose adds -v: nbdkit's and the plugin's debug messages go to
	// the log.
	Verbose bool
	// Env is added to nbdkit's environment ("KEY=value").
	Env []string
	// Timeout bounds the start (until nbdkit serves) and the stop
	// (from SIGTERM until nbdkit exits, then it is killed).  0 is
	// 60 seconds to start and 10 to stop.
	Timeout time.Duration
}

// Server is a running nbdkit.
type Server struct {
	// Socket is the Unix socket nbdkit listens on, in a temporary
	// directory.
	Socket string
	// URI is the NBD URI of the default export, for nbdinfo, nbdsh,
	// qemu-img...: nbd+unix:///?socket=SOCKET.
	URI string
	// Plugin is the plugin nbdkit serves (the built .so).
	Plugin string
	// Command is nbdkit's command line.
	Command []string

	cmd      *exec.Cmd
	logFile  string // nbdkit's stdout and stderr
	logMu    sync.Mutex
	logKept  *string       // the log, once Stop has removed the file
	exited   chan struct{} // closed when nbdkit has exited
	waitErr  error         // cmd.Wait's result, once exited is closed
	stopOnce sync.Once
	stopErr  error
	stopWait time.Duration
	tmp      string // removed by Stop, if Start made it
}

// nbdkitBinary is $NBDKIT, or nbdkit on PATH.
func nbdkitBinary() (string, error) {
	name := os.Getenv("NBDKIT")
	if name == "" {
		name = "nbdkit"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoNbdkit, err)
	}
	return path, nil
}

// Nbdkit returns the nbdkit that Serve runs ($NBDKIT, else nbdkit on
// PATH), for a test that runs it itself (nbdkit --dump-plugin).  Without
// one it fails the test saying what to install, or skips it if
// $NBDKITTEST_SKIP_MISSING is set.
func Nbdkit(t testing.TB) string {
	t.Helper()
	nbdkit, err := nbdkitBinary()
	if err != nil {
		if os.Getenv(SkipMissingEnv) != "" {
			t.Skipf("nbdkittest: %v", err)
		}
		t.Fatalf("nbdkittest: %v (%s=1 skips the tests that need it)", err, SkipMissingEnv)
	}
	return nbdkit
}

// Serve builds the plugin (unless opts.Plugin names one) and serves it
// with nbdkit until the test ends, when t.Cleanup stops it; a test whose
// nbdkit exited on its own, or did not stop, fails, and so does one
// whose plugin has a method misspelt by case (Pread for PRead), which
// the binding reports in nbdkit's log (it is never called).  If the test
// failed, nbdkit's log is in the test's log.  Serve fails the test if
// nbdkit cannot start, with its log; without nbdkit it fails saying what
// to install, or skips if $NBDKITTEST_SKIP_MISSING is set.
func Serve(t testing.TB, opts Options) *Server {
	t.Helper()
	Nbdkit(t)
	dir := t.TempDir()
	if opts.Plugin == "" {
		opts.Plugin = Build(t, opts.Dir)
	}
	s, err := start(dir, opts)
	if err != nil {
		t.Fatalf("nbdkittest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("nbdkittest: %v", err)
		}
		// The binding's warnings of methods misspelt by case, which
		// are never called, are bugs of the plugin under test.
		for _, line := range strings.Split(s.Log(), "\n") {
			if strings.Contains(line, " is never called: the binding's method is ") {
				t.Errorf("nbdkittest: %s", strings.TrimSpace(line))
			}
		}
		if t.Failed() {
			log := s.Log()
			if log == "" {
				log = "(empty: Options.Verbose or " + VerboseEnv + "=1 adds nbdkit -v)"
			}
			t.Logf("nbdkittest: the log of %s:\n%s", strings.Join(s.Command, " "), log)
		}
	})
	return s
}

// Start is Serve without a testing.TB, for an Example or a TestMain:
// the caller must Stop the server.  Without nbdkit, its error wraps
// ErrNoNbdkit.
func Start(opts Options) (*Server, error) {
	if _, err := nbdkitBinary(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "nbdkittest")
	if err != nil {
		return nil, err
	}
	if opts.Plugin == "" {
		opts.Plugin, err = BuildPlugin(opts.Dir, tmp)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	s, err := start(tmp, opts)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.tmp = tmp
	return s, nil
}

// start runs nbdkit with its socket in dir, and waits until it serves.
func start(dir string, opts Options) (*Server, error) {
	nbdkit, err := nbdkitBinary()
	if err != nil {
		return nil, err
	}
	// A Unix socket's path has at most 107 bytes: a long test name
	// makes t.TempDir() too long for one.
	sockDir := dir
	if len(filepath.Join(dir, "nbdkit.sock")) > 100 {
		if sockDir, err = os.MkdirTemp("", "nbdkittest"); err != nil {
			return nil, err
		}
	}
	timeout, stopWait := 60*time.Second, 10*time.Second
	if opts.Timeout > 0 {
		timeout, stopWait = opts.Timeout, opts.Timeout
	}
	s := &Server{
		Socket:   filepath.Join(sockDir, "nbdkit.sock"),
		Plugin:   opts.Plugin,
		exited:   make(chan struct{}),
		stopWait: stopWait,
	}
	s.URI = "nbd+unix:///?socket=" + s.Socket
	pidFile := filepath.Join(sockDir, "nbdkit.pid")
	args := []string{"-f", "-U", s.Socket, "-P", pidFile}
	if opts.Verbose || os.Getenv(VerboseEnv) != "" {
		args = append(args, "-v")
	}
	if opts.ReadOnly {
		args = append(args, "-r")
	}
	if opts.Threads != 0 {
		args = append(args, "-t", strconv.Itoa(opts.Threads))
	}
	for _, f := range opts.Filters {
		args = append(args, "--filter="+f)
	}
	args = append(args, opts.Args...)
	args = append(args, opts.Plugin)
	args = append(args, opts.Params...)
	s.Command = append([]string{nbdkit}, args...)

	// nbdkit writes its log straight to a file, not through a pipe
	// that Go copies: a line it logged before a reply is in the log
	// when the client has the reply.
	s.logFile = filepath.Join(dir, "nbdkit.log")
	log, err := os.OpenFile(s.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	s.cmd = exec.Command(nbdkit, args...)
	s.cmd.Stdout = log
	s.cmd.Stderr = log
	s.cmd.Env = append(os.Environ(), opts.Env...)
	// nbdkit dies with the test binary, even if it is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited before serving (%v):\n%s",
				strings.Join(s.Command, " "), s.waitErr, s.Log())
		case <-time.After(10 * time.Millisecond):
		}
		if fi, err := os.Stat(pidFile); err == nil && fi.Size() > 0 {
			if _, err := os.Stat(s.Socket); err == nil {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.cmd.Process.Kill()
			<-s.exited
			return nil, fmt.Errorf("%s did not serve within %v:\n%s",
				strings.Join(s.Command, " "), timeout, s.Log())
		}
	}
}

// Log is what nbdkit has written to its stdout and stderr so far: its
// errors, and with Verbose its debug messages and the plugin's.
func (s *Server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.logKept != nil {
		return *s.logKept
	}
	log, err := os.ReadFile(s.logFile)
	if err != nil {
		return fmt.Sprintf("(nbdkittest: %v)", err)
	}
	return string(log)
}

// Stop stops nbdkit: SIGTERM, and SIGKILL if it has not exited within
// the timeout.  It returns an error if nbdkit had already exited (it
// crashed, or the plugin ended it), did not exit on SIGTERM, or exited
// with an error.  Serve's cleanup calls it; calling it again returns
// the same.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		defer func() {
			log := s.Log()
			s.logMu.Lock()
			s.logKept = &log
			s.logMu.Unlock()
			if s.tmp != "" {
				os.RemoveAll(s.tmp)
			}
			if dir := filepath.Dir(s.Socket); dir != s.tmp {
				os.Remove(s.Socket)
				os.Remove(filepath.Join(dir, "nbdkit.pid"))
				os.Remove(dir) // only if Start made it for a long path
			}
		}()
		select {
		case <-s.exited:
			s.stopErr = fmt.Errorf("nbdkit exited while serving (%v)", s.waitErr)
			return
		default:
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(s.stopWait):
			s.cmd.Process.Kill()
			<-s.exited
			s.stopErr = fmt.Errorf("nbdkit did not exit within %v of SIGTERM: killed", s.stopWait)
			return
		}
		if s.waitErr != nil {
			s.stopErr = fmt.Errorf("nbdkit exited with an error on SIGTERM (%v)", s.waitErr)
		}
	})
	return s.stopErr
}

// Dial connects a client to the server: see Dial.
func (s *Server) Dial(opts ConnectOptions) (*Client, error) {
	return Dial(s.Socket, opts)
}

// Connect connects a client to the default export, closed when the
// test ends.  It fails the test if the client cannot connect.
func (s *Server) Connect(t testing.TB) *Client {
	t.Helper()
	return s.ConnectWith(t, ConnectOptions{})
}

// ConnectWith is Connect with options: an export name, TLS...
func (s *Server) ConnectWith(t testing.TB, opts ConnectOptions) *Client {
	t.Helper()
	c, err := s.Dial(opts)
	if err != nil {
		t.Fatalf("nbdkittest: connecting to %s: %v", s.URI, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("nbdkittest: closing a client: %v", err)
		}
	})
	return c
}

// ListExports lists the server's exports: see ListExports.
func (s *Server) ListExports() ([]Export, error) {
	return ListExports(s.Socket, ConnectOptions{})
}

// goBinary is $GO, or the go of the Go that built the running program
// (the one running go test), or go on PATH.
func goBinary() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	g := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(g); err == nil {
		return g
	}
	return "go"
}

// Build builds the plugin package in dir ("" is the current directory,
// the test's own package in go test) as nbdkit loads it, with go build
// -buildmode=c-shared, into t.TempDir(), and returns the plugin's path.
// Go's build cache makes a rebuild cheap, but linking is not: a test
// that starts several servers can build once and pass the path as
// Options.Plugin.  It fails the test if the build fails, with the
// compiler's output.
func Build(t testing.TB, dir string) string {
	t.Helper()
	plugin, err := BuildPlugin(dir, t.TempDir())
	if err != nil {
		t.Fatalf("nbdkittest: %v", err)
	}
	return plugin
}

// BuildPlugin is Build without a testing.TB: it builds the package in
// dir into the directory out.  The go command is $GO, else the go of
// the Go toolchain that built the running program, else go on PATH; it
// runs with the caller's environment (GOFLAGS, CC...).
func BuildPlugin(dir, out string) (string, error) {
	return buildShared(dir, out, "plugin")
}

// buildShared builds the package in dir into out as
// nbdkit-DIRNAME-KIND.so, KIND plugin or filter.
func buildShared(dir, out, kind string) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	so := filepath.Join(out, "nbdkit-"+filepath.Base(abs)+"-"+kind+".so")
	cmd := exec.Command(goBinary(), "build", "-buildmode=c-shared", "-o", so, ".")
	cmd.Dir = abs
	output, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the %s in %s: %s %v: %v\n%s",
			kind, abs, cmd.Path, cmd.Args[1:], err, output)
	}
	return so, nil
}
