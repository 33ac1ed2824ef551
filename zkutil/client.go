package zkutil

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
)

// Errors callers match with errors.Is. The ZooKeeper ones are go-zookeeper's.
var (
	ErrNodeExists  = zk.ErrNodeExists
	ErrNoNode      = zk.ErrNoNode
	ErrBadVersion  = zk.ErrBadVersion
	ErrNotEmpty    = zk.ErrNotEmpty
	ErrClientClose = errors.New("zkutil: client closed")
)

// ControllerMovedError means another broker is (or became) controller; a
// controller that gets it must resign.
type ControllerMovedError struct{ Msg string }

func (e *ControllerMovedError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrControllerMoved) true for any ControllerMovedError.
func (e *ControllerMovedError) Is(target error) bool { return target == ErrControllerMoved }

// ErrControllerMoved is the sentinel for ControllerMovedError.
var ErrControllerMoved = errors.New("Controller moved to another broker. Aborting controller startup procedure")

// TimeoutError is returned by Connect when no session was established in
// time; the message is Kafka's ZooKeeperClientTimeoutException text.
type TimeoutError struct{ State string }

func (e *TimeoutError) Error() string {
	return "Timed out waiting for connection while in state: " + e.State
}

// Option tunes Connect.
type Option func(*Client)

// WithName sets the name in the log prefix "[ZooKeeperClient <name>] "
// (Kafka uses "Kafka server" for the broker and the tool name for tools).
func WithName(name string) Option { return func(c *Client) { c.name = name } }

// Client is a ZooKeeper session with Kafka's conventions: a chroot applied to
// every path, waits for connection, and hooks run around session expiry.
type Client struct {
	conn           *zk.Conn
	chroot         string // "" or "/kafka"
	connect        string
	servers        []string
	sessionTimeout time.Duration
	name           string
	log            *logrus.Entry
	zkLog          *logrus.Entry

	mu        sync.Mutex
	onExpired []func()
	onNew     []func()
	expired   bool
	closed    bool
	hooks     chan func()
	done      chan struct{}

	// currentSessionID is the session that created our ephemerals; see registerEphemeral.
	ephemeralSession int64
}

// ParseConnect splits "h1:2181,h2:2181/chroot" into servers and chroot
// ("" when absent or "/").
func ParseConnect(connect string) (servers []string, chroot string, err error) {
	hosts := connect
	if i := strings.Index(connect, "/"); i >= 0 {
		hosts, chroot = connect[:i], strings.TrimRight(connect[i:], "/")
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			servers = append(servers, h)
		}
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("invalid zookeeper.connect %q: no servers", connect)
	}
	if strings.Contains(chroot, "//") {
		return nil, "", fmt.Errorf("invalid zookeeper.connect %q: bad chroot path", connect)
	}
	return servers, chroot, nil
}

// Connect opens a session and waits up to connectionTimeout for it, logging
// while it waits; a ZooKeeper that is down makes it fail with TimeoutError.
// A chroot in the connect string is created (with parents) if missing.
func Connect(connect string, sessionTimeout, connectionTimeout time.Duration, opts ...Option) (*Client, error) {
	servers, chroot, err := ParseConnect(connect)
	if err != nil {
		return nil, err
	}
	c := &Client{connect: connect, servers: servers, chroot: chroot, sessionTimeout: sessionTimeout,
		name: "Kafka server", hooks: make(chan func(), 64), done: make(chan struct{})}
	for _, o := range opts {
		o(c)
	}
	c.log = logging.For("kafka.zookeeper.ZooKeeperClient")
	c.zkLog = logging.For("org.apache.zookeeper.ClientCnxn")
	c.infof("Initializing a new session to %s.", connect)
	conn, events, err := zk.Connect(servers, sessionTimeout, zk.WithLogger(zkLogger{c.zkLog}))
	if err != nil {
		return nil, err
	}
	c.conn = conn
	go c.watchSession(events)
	go c.runHooks()
	if err := c.waitUntilConnected(connectionTimeout); err != nil {
		c.Close()
		return nil, err
	}
	if chroot != "" {
		if err := c.createRecursiveRaw(chroot, nil); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			c.Close()
			return nil, fmt.Errorf("creating chroot %s: %w", chroot, err)
		}
		logging.For("kafka.server.KafkaServer").Infof("Created zookeeper path %s", chroot)
	}
	return c, nil
}

func (c *Client) infof(format string, args ...interface{}) {
	c.log.Infof("[ZooKeeperClient "+c.name+"] "+format, args...)
}

// zkLogger routes go-zookeeper's chatter to debug level.
type zkLogger struct{ e *logrus.Entry }

func (l zkLogger) Printf(format string, args ...interface{}) { l.e.Debugf(format, args...) }

func (c *Client) waitUntilConnected(timeout time.Duration) error {
	c.infof("Waiting until connected to ZooKeeper at %s.", strings.Join(c.servers, ","))
	start := time.Now()
	nextNote := start.Add(5 * time.Second)
	for c.conn.State() != zk.StateHasSession {
		now := time.Now()
		if now.Sub(start) >= timeout {
			return &TimeoutError{State: "CONNECTING"}
		}
		if now.After(nextNote) {
			c.infof("Still waiting for a connection to ZooKeeper at %s (state: CONNECTING).", strings.Join(c.servers, ","))
			nextNote = now.Add(5 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.infof("Connected.")
	return nil
}

// watchSession follows session state: after an expiry go-zookeeper opens a
// new session by itself; we run the registered hooks around that, as
// Kafka's StateChangeHandler.before/afterInitializingSession do.
func (c *Client) watchSession(events <-chan zk.Event) {
	for ev := range events {
		if ev.Type != zk.EventSession {
			continue
		}
		c.mu.Lock()
		switch ev.State {
		case zk.StateExpired:
			if !c.expired && !c.closed {
				c.expired = true
				c.infof("Session expired.")
				c.queue(c.onExpired)
			}
		case zk.StateHasSession:
			if c.expired && !c.closed {
				c.expired = false
				c.infof("Initialized a new session to %s (session id 0x%x).", c.connect, c.conn.SessionID())
				c.queue(c.onNew)
			}
		}
		c.mu.Unlock()
	}
}

// queue hands hooks to the hook goroutine; c.mu is held.
func (c *Client) queue(hooks []func()) {
	for _, h := range hooks {
		select {
		case c.hooks <- h:
		default:
			c.log.Warnf("[ZooKeeperClient %s] dropping a session hook: queue full", c.name)
		}
	}
}

// runHooks runs hooks one at a time, off the ZooKeeper event goroutine, so
// they may call back into the client.
func (c *Client) runHooks() {
	for {
		select {
		case h := <-c.hooks:
			func() {
				defer func() {
					if r := recover(); r != nil {
						c.log.Errorf("[ZooKeeperClient %s] Uncaught error in session handler: %v", c.name, r)
					}
				}()
				h()
			}()
		case <-c.done:
			return
		}
	}
}

// OnSessionExpired registers f to run when the session has expired (before
// the new one exists): ephemerals and watches are gone.
func (c *Client) OnSessionExpired(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onExpired = append(c.onExpired, f)
}

// OnNewSession registers f to run after a new session replaced an expired
// one: the broker re-registers and re-elects from there.
func (c *Client) OnNewSession(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onNew = append(c.onNew, f)
}

// SessionID is the current session id (0 while none).
func (c *Client) SessionID() int64 { return c.conn.SessionID() }

// Chroot is the chroot prefix ("" for none).
func (c *Client) Chroot() string { return c.chroot }

// Close ends the session; ephemerals vanish at once.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.infof("Closing.")
	c.conn.Close()
	close(c.done)
	c.infof("Closed.")
}

// abs maps a Kafka path to the server path under the chroot.
func (c *Client) abs(path string) string {
	if c.chroot == "" {
		return path
	}
	if path == "/" {
		return c.chroot
	}
	return c.chroot + path
}

// rel maps a server path back to the Kafka path.
func (c *Client) rel(path string) string {
	if c.chroot == "" {
		return path
	}
	p := strings.TrimPrefix(path, c.chroot)
	if p == "" {
		return "/"
	}
	return p
}

// forward strips the chroot from the path of a one-shot watch event.
func (c *Client) forward(in <-chan zk.Event) <-chan zk.Event {
	if c.chroot == "" || in == nil {
		return in
	}
	out := make(chan zk.Event, 1)
	go func() {
		for ev := range in {
			ev.Path = c.rel(ev.Path)
			out <- ev
		}
		close(out)
	}()
	return out
}

// retry runs op, and while the connection is lost (not the session) waits
// for it to come back and tries again, like retryRequestUntilConnected.
func (c *Client) retry(op func() error) error {
	deadline := time.Now().Add(2*c.sessionTimeout + 10*time.Second)
	for {
		err := op()
		if !errors.Is(err, zk.ErrConnectionClosed) && !errors.Is(err, zk.ErrNoServer) &&
			!errors.Is(err, zk.ErrSessionExpired) {
			return err
		}
		if c.isClosed() {
			return ErrClientClose
		}
		if time.Now().After(deadline) {
			return err
		}
		for c.conn.State() != zk.StateHasSession && time.Now().Before(deadline) && !c.isClosed() {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

var openACL = zk.WorldACL(zk.PermAll)

// GetData reads a znode; ErrNoNode if missing.
func (c *Client) GetData(path string) (data []byte, stat *zk.Stat, err error) {
	err = c.retry(func() error { data, stat, err = c.conn.Get(c.abs(path)); return err })
	return data, stat, err
}

// GetDataW reads a znode and sets a data watch (fires on change or deletion).
func (c *Client) GetDataW(path string) (data []byte, stat *zk.Stat, ch <-chan zk.Event, err error) {
	err = c.retry(func() error { data, stat, ch, err = c.conn.GetW(c.abs(path)); return err })
	return data, stat, c.forward(ch), err
}

// GetChildren lists the children of a znode.
func (c *Client) GetChildren(path string) (children []string, err error) {
	err = c.retry(func() error { children, _, err = c.conn.Children(c.abs(path)); return err })
	return children, err
}

// GetChildrenW lists children and sets a child watch.
func (c *Client) GetChildrenW(path string) (children []string, ch <-chan zk.Event, err error) {
	err = c.retry(func() error { children, _, ch, err = c.conn.ChildrenW(c.abs(path)); return err })
	return children, c.forward(ch), err
}

// Exists reports whether the znode exists.
func (c *Client) Exists(path string) (ok bool, stat *zk.Stat, err error) {
	err = c.retry(func() error { ok, stat, err = c.conn.Exists(c.abs(path)); return err })
	return ok, stat, err
}

// ExistsW checks existence and sets a watch that fires on creation,
// deletion or data change.
func (c *Client) ExistsW(path string) (ok bool, stat *zk.Stat, ch <-chan zk.Event, err error) {
	err = c.retry(func() error { ok, stat, ch, err = c.conn.ExistsW(c.abs(path)); return err })
	return ok, stat, c.forward(ch), err
}

// Create makes one znode (flags: zk.FlagEphemeral, zk.FlagSequence) and
// returns its path (with the sequence suffix), chroot stripped.
func (c *Client) Create(path string, data []byte, flags int32) (created string, err error) {
	err = c.retry(func() error { created, err = c.conn.Create(c.abs(path), data, flags, openACL); return err })
	return c.rel(created), err
}

// SetData writes a znode if its version matches (-1 = any).
func (c *Client) SetData(path string, data []byte, version int32) (stat *zk.Stat, err error) {
	err = c.retry(func() error { stat, err = c.conn.Set(c.abs(path), data, version); return err })
	return stat, err
}

// Delete removes a znode if its version matches (-1 = any).
func (c *Client) Delete(path string, version int32) error {
	return c.retry(func() error { return c.conn.Delete(c.abs(path), version) })
}

// Multi runs ops atomically. Ops are *zk.CreateRequest, *zk.SetDataRequest,
// *zk.DeleteRequest or *zk.CheckVersionRequest with Kafka paths. The error is
// the first failing op's (e.g. ErrBadVersion from a check).
func (c *Client) Multi(ops ...interface{}) (res []zk.MultiResponse, err error) {
	translated := make([]interface{}, len(ops))
	for i, op := range ops {
		switch o := op.(type) {
		case *zk.CreateRequest:
			cp := *o
			cp.Path = c.abs(o.Path)
			if cp.Acl == nil {
				cp.Acl = openACL
			}
			translated[i] = &cp
		case *zk.SetDataRequest:
			cp := *o
			cp.Path = c.abs(o.Path)
			translated[i] = &cp
		case *zk.DeleteRequest:
			cp := *o
			cp.Path = c.abs(o.Path)
			translated[i] = &cp
		case *zk.CheckVersionRequest:
			cp := *o
			cp.Path = c.abs(o.Path)
			translated[i] = &cp
		default:
			return nil, fmt.Errorf("zkutil: unsupported multi op %T", op)
		}
	}
	err = c.retry(func() error { res, err = c.conn.Multi(translated...); return err })
	for i := range res {
		if res[i].String != "" {
			res[i].String = c.rel(res[i].String)
		}
	}
	return res, err
}

// CreateRecursive creates path with data, creating missing parents (with no
// data). It fails with ErrNodeExists if path itself exists.
func (c *Client) CreateRecursive(path string, data []byte) error {
	return c.createRecursiveRaw(c.abs(path), data)
}

// createRecursiveRaw works on server paths (used for the chroot itself).
func (c *Client) createRecursiveRaw(path string, data []byte) error {
	err := c.retry(func() error { _, err := c.conn.Create(path, data, 0, openACL); return err })
	if !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	if err := c.createParents(parentPath(path)); err != nil {
		return err
	}
	return c.retry(func() error { _, err := c.conn.Create(path, data, 0, openACL); return err })
}

func (c *Client) createParents(path string) error {
	if path == "/" || path == "" {
		return nil
	}
	err := c.retry(func() error { _, err := c.conn.Create(path, nil, 0, openACL); return err })
	if errors.Is(err, zk.ErrNoNode) {
		if err := c.createParents(parentPath(path)); err != nil {
			return err
		}
		err = c.retry(func() error { _, err := c.conn.Create(path, nil, 0, openACL); return err })
	}
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return err
	}
	return nil
}

func parentPath(path string) string {
	i := strings.LastIndex(path, "/")
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// MakeSurePersistentPathExists creates path (and parents) unless it exists.
func (c *Client) MakeSurePersistentPathExists(path string) error {
	if err := c.CreateRecursive(path, nil); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return err
	}
	return nil
}

// DeleteRecursive removes path and everything below it; a missing path is
// not an error. Returns whether path existed.
func (c *Client) DeleteRecursive(path string) (bool, error) {
	children, err := c.GetChildren(path)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, child := range children {
		if _, err := c.DeleteRecursive(strings.TrimSuffix(path, "/") + "/" + child); err != nil {
			return false, err
		}
	}
	err = c.Delete(path, -1)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return false, err
	}
	return true, nil
}
