package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/zkutil/zktest"
)

// Bounds for waiting on processes; generous for a loaded 2-core machine.
const (
	brokerStartTimeout = 45 * time.Second
	brokerStopTimeout  = 30 * time.Second
	logTailBytes       = 24 << 10
)

var (
	// kafkaBin is the broker/tools binary built once by TestMain.
	kafkaBin string
	// repoRoot is the module root, the parent of this package's directory.
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	repoRoot = root
	// INTEGRATION_KAFKA_BIN names a binary built elsewhere (e.g. from a
	// clean checkout); otherwise build build/kafka, which the bin/ scripts
	// use too, so that both run the code under test.
	if bin := os.Getenv("INTEGRATION_KAFKA_BIN"); bin != "" {
		kafkaBin = bin
		return m.Run()
	}
	if err := buildKafka(); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	return m.Run()
}

// buildKafka builds build/kafka through a temporary name and a rename, so
// a process running the old binary, or a concurrent build, is not disturbed.
func buildKafka() error {
	dir := filepath.Join(repoRoot, "build")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	kafkaBin = filepath.Join(dir, "kafka")
	tmp := fmt.Sprintf("%s.tmp.%d", kafkaBin, os.Getpid())
	defer os.Remove(tmp)
	build := exec.Command("go", "build", "-o", tmp, "./core/cmd/kafka")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o build/kafka ./core/cmd/kafka failed: %v\n%s", err, out)
	}
	return os.Rename(tmp, kafkaBin)
}

// Broker is one real broker process ("kafka server kafka.Kafka <props>").
type Broker struct {
	t         testing.TB
	ID        int
	Port      int
	ZK        string
	Dir       string // temp dir: server.properties, broker.log
	LogDir    string // log.dirs
	propsPath string
	logPath   string
	props     map[string]string
	overrides []string // --override k=v, applied at every start

	cmd  *exec.Cmd
	done chan struct{}
}

// Addr is the broker's PLAINTEXT address.
func (b *Broker) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.Port) }

// LogPath is the file holding the process's stdout and stderr.
func (b *Broker) LogPath() string { return b.logPath }

// Log returns everything the broker has logged so far (all starts).
func (b *Broker) Log() string {
	data, _ := os.ReadFile(b.logPath)
	return string(data)
}

// Cluster is a ZooKeeper plus brokers, all stopped when the test ends.
type Cluster struct {
	t       testing.TB
	ZK      string
	Brokers []*Broker
}

// StartCluster starts ZooKeeper and one broker with the given server
// properties on top of the defaults written by StartBroker.
func StartCluster(t testing.TB, props map[string]string) *Cluster {
	t.Helper()
	requireZooKeeper(t)
	c := &Cluster{t: t, ZK: zktest.Start(t)}
	c.Brokers = append(c.Brokers, StartBroker(t, c.ZK, 1, props))
	return c
}

// Bootstrap is the comma-separated list of broker addresses.
func (c *Cluster) Bootstrap() string {
	addrs := make([]string, len(c.Brokers))
	for i, b := range c.Brokers {
		addrs[i] = b.Addr()
	}
	return strings.Join(addrs, ",")
}

// B is the first broker.
func (c *Cluster) B() *Broker { return c.Brokers[0] }

// baseProps are the server.properties every test broker gets; they mirror
// the shipped file where it matters for tool output (log.segment.bytes shows
// up as a topic config in kafka-topics --describe).
func baseProps(id, port int, zkConnect, logDir string) map[string]string {
	return map[string]string{
		"broker.id":                                fmt.Sprint(id),
		"listeners":                                fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", port),
		"log.dirs":                                 logDir,
		"zookeeper.connect":                        zkConnect,
		"zookeeper.connection.timeout.ms":          "18000",
		"num.partitions":                           "1",
		"offsets.topic.replication.factor":         "1",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"group.initial.rebalance.delay.ms":         "0",
		"log.segment.bytes":                        "1073741824",
		"log.retention.hours":                      "168",
		"log.retention.check.interval.ms":          "300000",
	}
}

// StartBroker writes server.properties (defaults plus props; an empty value
// removes a default) into a temp dir, starts the broker and waits until it
// serves ApiVersions and lists itself in Metadata.
func StartBroker(t testing.TB, zkConnect string, id int, props map[string]string) *Broker {
	t.Helper()
	b := newBroker(t, zkConnect, id, props)
	b.Start()
	return b
}

func newBroker(t testing.TB, zkConnect string, id int, props map[string]string) *Broker {
	t.Helper()
	dir := t.TempDir()
	b := &Broker{
		t:         t,
		ID:        id,
		Port:      zktest.FreePort(t),
		ZK:        zkConnect,
		Dir:       dir,
		LogDir:    filepath.Join(dir, "kafka-logs"),
		propsPath: filepath.Join(dir, "server.properties"),
		logPath:   filepath.Join(dir, "broker.log"),
	}
	all := baseProps(id, b.Port, zkConnect, b.LogDir)
	for k, v := range props {
		if v == "" {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
	b.props = all
	b.writeProps(all)
	// Registered before the stop so that it runs after it (cleanups are LIFO)
	// and the dump includes the shutdown.
	t.Cleanup(func() {
		if t.Failed() {
			b.dumpLog()
		}
	})
	t.Cleanup(b.Stop)
	return b
}

func (b *Broker) writeProps(props map[string]string) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteString("# written by the integration harness\n")
	for _, k := range keys {
		fmt.Fprintf(&buf, "%s=%s\n", k, props[k])
	}
	if err := os.WriteFile(b.propsPath, buf.Bytes(), 0o644); err != nil {
		b.t.Fatalf("writing %s: %v", b.propsPath, err)
	}
}

// SetProps changes server.properties for the next start (an empty value
// removes the key).
func (b *Broker) SetProps(props map[string]string) {
	for k, v := range props {
		if v == "" {
			delete(b.props, k)
		} else {
			b.props[k] = v
		}
	}
	b.writeProps(b.props)
}

// SetOverrides sets the --override k=v arguments for the next start.
func (b *Broker) SetOverrides(o ...string) { b.overrides = o }

// StartExpectExit starts the process and expects it to exit by itself within
// timeout (a refused start-up); it returns the exit code and what the
// process logged during this start. A process still running is killed and
// fails the test.
func (b *Broker) StartExpectExit(timeout time.Duration) (int, string) {
	b.t.Helper()
	before := len(b.Log())
	logFile, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.t.Fatal(err)
	}
	defer logFile.Close()
	args := []string{"server", "kafka.Kafka", b.propsPath}
	for _, o := range b.overrides {
		args = append(args, "--override", o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kafkaBin, args...)
	cmd.Dir = b.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = dieWithParent()
	err = cmd.Run()
	out := b.Log()[before:]
	if ctx.Err() != nil {
		b.t.Fatalf("broker %d was expected to refuse to start but still ran after %v; log:\n%s", b.ID, timeout, out)
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		b.t.Fatalf("broker %d: %v", b.ID, err)
	}
	return code, out
}

// NewStoppedBroker prepares a broker (config, dirs, cleanup) without
// starting it.
func NewStoppedBroker(t testing.TB, zkConnect string, id int, props map[string]string) *Broker {
	t.Helper()
	return newBroker(t, zkConnect, id, props)
}

// Start launches the process and waits until it is ready; it fails the test
// if the broker exits or is not ready within brokerStartTimeout.
func (b *Broker) Start() {
	b.t.Helper()
	if err := b.TryStart(); err != nil {
		b.t.Fatalf("broker %d: %v (log: %s)", b.ID, err, b.logPath)
	}
}

// TryStart is Start returning the error instead of failing the test. A
// broker that did not get ready is stopped again.
func (b *Broker) TryStart() error {
	if b.cmd != nil {
		return fmt.Errorf("already running (pid %d)", b.cmd.Process.Pid)
	}
	logFile, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logFile, "===== harness: starting broker %d at %s =====\n", b.ID, time.Now().Format(time.RFC3339Nano))
	args := []string{"server", "kafka.Kafka", b.propsPath}
	for _, o := range b.overrides {
		args = append(args, "--override", o)
	}
	cmd := exec.Command(kafkaBin, args...)
	cmd.Dir = b.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "LOG_DIR=")
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", kafkaBin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
	b.cmd, b.done = cmd, done
	if err := b.waitReady(); err != nil {
		b.Kill9()
		return err
	}
	return nil
}

// waitReady polls until the port accepts, ApiVersions answers without error
// and Metadata lists this broker and some controller.
func (b *Broker) waitReady() error {
	deadline := time.Now().Add(brokerStartTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return fmt.Errorf("process exited during start-up (%s)", b.cmd.ProcessState)
		default:
		}
		if last = b.probe(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %v: %v", brokerStartTimeout, last)
}

func (b *Broker) probe() error {
	conn, err := net.DialTimeout("tcp", b.Addr(), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 0
	resp, err := RoundTrip(conn, av, 1, 2*time.Second)
	if err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	if code := resp.(*kmsg.ApiVersionsResponse).ErrorCode; code != 0 {
		return fmt.Errorf("ApiVersions error code %d", code)
	}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 1
	md.Topics = []kmsg.MetadataRequestTopic{} // v1: empty array means no topics
	resp, err = RoundTrip(conn, md, 2, 2*time.Second)
	if err != nil {
		return fmt.Errorf("Metadata: %w", err)
	}
	m := resp.(*kmsg.MetadataResponse)
	if m.ControllerID < 0 {
		return errors.New("Metadata has no controller yet")
	}
	for _, br := range m.Brokers {
		if br.NodeID == int32(b.ID) {
			return nil
		}
	}
	return fmt.Errorf("Metadata does not list broker %d yet", b.ID)
}

// Running reports whether the process is alive.
func (b *Broker) Running() bool {
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits for a graceful exit, then SIGKILL. It reports
// an error if the broker needed SIGKILL or exited non-zero.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	cmd, done := b.cmd, b.done
	b.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGCONT) // in case the test froze it
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		if !cmd.ProcessState.Success() {
			b.t.Errorf("broker %d (pid %d) exited with %s after SIGTERM", b.ID, cmd.Process.Pid, cmd.ProcessState)
		}
	case <-time.After(brokerStopTimeout):
		_ = cmd.Process.Kill()
		<-done
		b.t.Errorf("broker %d (pid %d) did not stop within %v of SIGTERM; killed", b.ID, cmd.Process.Pid, brokerStopTimeout)
	}
}

// Freeze stops the process with SIGSTOP (it keeps its sockets and
// sessions but does nothing) until Thaw.
func (b *Broker) Freeze() {
	if b.cmd != nil {
		_ = b.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Thaw resumes a frozen process.
func (b *Broker) Thaw() {
	if b.cmd != nil {
		_ = b.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Kill9 ends the process with SIGKILL, like a crash.
func (b *Broker) Kill9() {
	if b.cmd == nil {
		return
	}
	cmd, done := b.cmd, b.done
	b.cmd = nil
	_ = cmd.Process.Kill()
	<-done
}

// Restart stops the broker gracefully and starts it again.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.Start()
}

// AfterCrashStart starts a broker that was killed: Kafka refuses to register
// while the dead session's ephemeral /brokers/ids/<id> exists, so wait for
// ZooKeeper to expire it first.
func (b *Broker) AfterCrashStart(sessionTimeout time.Duration) {
	b.t.Helper()
	WaitZNodeGone(b.t, b.ZK, fmt.Sprintf("/brokers/ids/%d", b.ID), sessionTimeout+20*time.Second)
	b.Start()
}

func (b *Broker) dumpLog() {
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		b.t.Logf("broker %d log %s: %v", b.ID, b.logPath, err)
		return
	}
	if len(data) > logTailBytes {
		data = data[len(data)-logTailBytes:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	b.t.Logf("---- tail of broker %d log (%s) ----\n%s---- end of broker %d log ----", b.ID, b.logPath, data, b.ID)
}

// WaitZNodeGone polls ZooKeeper until path does not exist.
func WaitZNodeGone(t testing.TB, zkConnect, path string, timeout time.Duration) {
	t.Helper()
	conn, _, err := zk.Connect([]string{zkConnect}, 4*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatalf("zk connect %s: %v", zkConnect, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	for {
		ok, _, err := conn.Exists(path)
		if err == nil && !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("znode %s still exists after %v (err %v)", path, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// RoundTrip sends one request on a raw connection and decodes the response.
func RoundTrip(conn net.Conn, req kmsg.Request, correlationID int32, timeout time.Duration) (kmsg.Response, error) {
	_ = conn.SetDeadline(time.Now().Add(timeout))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(EncodeRequest(req, correlationID, "integration")); err != nil {
		return nil, err
	}
	body, err := ReadFrame(conn)
	if err != nil {
		return nil, err
	}
	if len(body) < 4 {
		return nil, fmt.Errorf("short response (%d bytes)", len(body))
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != correlationID {
		return nil, fmt.Errorf("correlation id %d, want %d", got, correlationID)
	}
	body = body[4:]
	// Response header v1 (flexible) carries tagged fields, except for
	// ApiVersions, whose response header is always v0.
	if req.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16() {
		if len(body) < 1 || body[0] != 0 {
			return nil, errors.New("unexpected tagged fields in response header")
		}
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decoding %T v%d: %w", resp, req.GetVersion(), err)
	}
	return resp, nil
}

// EncodeRequest frames req with a request header (v1, or v2 when flexible).
func EncodeRequest(req kmsg.Request, correlationID int32, clientID string) []byte {
	var h []byte
	h = binary.BigEndian.AppendUint16(h, uint16(req.Key()))
	h = binary.BigEndian.AppendUint16(h, uint16(req.GetVersion()))
	h = binary.BigEndian.AppendUint32(h, uint32(correlationID))
	h = binary.BigEndian.AppendUint16(h, uint16(len(clientID)))
	h = append(h, clientID...)
	if req.IsFlexible() {
		h = append(h, 0)
	}
	h = req.AppendTo(h)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(h)))
	return append(frame, h...)
}

// ReadFrame reads one size-prefixed frame.
func ReadFrame(r io.Reader) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 64<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return body, err
}

// NewClient returns a franz-go client for the cluster, closed at cleanup.
func NewClient(t testing.TB, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	all := append([]kgo.Opt{
		kgo.SeedBrokers(strings.Split(bootstrap, ",")...),
		kgo.ClientID("integration"),
		kgo.RetryTimeout(20 * time.Second),
	}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// testContext is a context bounded by d and cancelled at cleanup.
func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func requireZooKeeper(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(zktest.ZooKeeperJar); err != nil {
		t.Fatalf("ZooKeeper is missing (%s); `make test` installs it (apt-get install -y zookeeper)", zktest.ZooKeeperJar)
	}
}

// RunCmd runs a command with a time bound and returns stdout, stderr and the
// exit code; a command that cannot start or times out fails the test.
func RunCmd(t testing.TB, timeout time.Duration, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	return RunCmdIn(t, repoRoot, nil, timeout, stdin, name, args...)
}

// RunCmdIn is RunCmd in directory dir with extra environment variables.
func RunCmdIn(t testing.TB, dir string, env []string, timeout time.Duration, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = dieWithParent()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), timeout, stdout.String(), stderr.String())
	}
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s: %v", name, err)
		}
		code = exit.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// Kafka runs a tool subcommand of the kafka binary ("topics", ...).
func Kafka(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	return RunCmd(t, 90*time.Second, "", kafkaBin, args...)
}

// dieWithParent makes the kernel kill a child when the test binary dies
// (e.g. on a -timeout panic, when cleanups do not run), so no broker
// outlives its test.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
