// Package zktest starts a real standalone ZooKeeper (the Debian `zookeeper`
// package) for tests, and offers a TCP proxy that can cut a client off so
// that the server expires its session.
package zktest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Jar locations of the Debian package.
const (
	ZooKeeperJar  = "/usr/share/java/zookeeper.jar"
	Slf4jSimple   = "/usr/share/java/slf4j-simple.jar"
	jarWait       = 3 * time.Minute
	startDeadline = 60 * time.Second
)

// TickTime is the server tick in ms. Sessions may last between 2 and 120
// ticks, so tests can ask for 1 s sessions and Kafka's 18 s default fits.
const TickTime = 500

// Server is one standalone ZooKeeper process.
type Server struct {
	t    testing.TB
	Dir  string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches ZooKeeper on a free 127.0.0.1 port with its data in a
// temporary directory, waits until it serves clients, registers its shutdown
// with t.Cleanup and returns the connect string ("127.0.0.1:port").
func Start(t testing.TB) string {
	return StartServer(t).Connect()
}

// StartServer is Start returning the Server, for tests that stop and restart it.
func StartServer(t testing.TB) *Server {
	t.Helper()
	waitForJar(t)
	s := &Server{t: t, Dir: t.TempDir(), Port: FreePort(t)}
	s.writeConfig()
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Connect is the client connect string of the server.
func (s *Server) Connect() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

func (s *Server) writeConfig() {
	cfg := fmt.Sprintf(`tickTime=%d
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxSessionTimeout=%d
admin.enableServer=false
4lw.commands.whitelist=*
`, TickTime, filepath.Join(s.Dir, "data"), s.Port, 120*TickTime)
	if err := os.WriteFile(filepath.Join(s.Dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		s.t.Fatalf("zktest: %v", err)
	}
}

// Restart starts the process again (same port, same data) after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	logFile, err := os.OpenFile(filepath.Join(s.Dir, "zookeeper.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatalf("zktest: %v", err)
	}
	cmd := exec.Command("java", "-Xmx256m", "-cp", s.Dir+":"+ZooKeeperJar+":"+Slf4jSimple,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(s.Dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		s.t.Fatalf("zktest: starting ZooKeeper: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}(s.done)
	deadline := time.Now().Add(startDeadline)
	for time.Now().Before(deadline) {
		// "ruok" answers before the server serves sessions; "srvr" reports a
		// Mode only once it does, so clients connect at the first try.
		if strings.Contains(FourLetterWord(s.Connect(), "srvr"), "Mode: standalone") {
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("zktest: ZooKeeper exited at startup, see %s/zookeeper.log", s.Dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.Stop()
	s.t.Fatalf("zktest: ZooKeeper did not start serving on %s within %v", s.Connect(), startDeadline)
}

// Stop kills the process (by its PID) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// FourLetterWord sends a ZooKeeper admin command ("ruok", "stat", "cons",
// "dump") and returns the reply, or "" if the server did not answer.
func FourLetterWord(addr, cmd string) string {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return ""
	}
	b, _ := io.ReadAll(bufio.NewReader(conn))
	return strings.TrimSpace(string(b))
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitForJar tolerates a concurrent `apt-get install zookeeper`.
func waitForJar(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(jarWait)
	for {
		if _, err := os.Stat(ZooKeeperJar); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("zktest: %s not found; install the Debian package: apt-get install -y zookeeper", ZooKeeperJar)
		}
		time.Sleep(time.Second)
	}
}

// Proxy forwards TCP connections to a target and can cut them all off, which
// is how tests make ZooKeeper expire a client's session: block for longer than
// the session timeout, then unblock so the client learns of the expiry.
type Proxy struct {
	Addr    string
	target  string
	l       net.Listener
	mu      sync.Mutex
	blocked bool
	conns   map[net.Conn]struct{}
}

// NewProxy listens on a free 127.0.0.1 port and forwards to target.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: %v", err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *Proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		blocked := p.blocked
		p.mu.Unlock()
		if blocked {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, server)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	p.untrack(client, server)
}

func (p *Proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// Block closes every forwarded connection and refuses new ones.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for c := range p.conns {
		c.Close()
	}
}

// Unblock lets connections through again.
func (p *Proxy) Unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() {
	p.l.Close()
	p.Block()
}
