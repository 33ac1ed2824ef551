// Package controller is the KafkaController: one broker of the cluster,
// elected through the /controller znode, watches brokers and topics in
// ZooKeeper, decides partition leaders and ISRs, persists them to ZooKeeper
// and tells the brokers with LeaderAndIsr, UpdateMetadata and StopReplica.
//
// All controller state is owned by one event goroutine; ZooKeeper watches
// and API calls only enqueue events, as in Kafka's ControllerEventManager.
package controller

import (
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/sirupsen/logrus"

	"github.com/gokafka/kafka/core/logging"
	"github.com/gokafka/kafka/zkutil"
)

// Config is what the controller needs from the broker configuration.
type Config struct {
	BrokerID                  int32
	InterBrokerListener       string
	DeleteTopicEnable         bool
	UncleanLeaderElection     func(topic string) bool
	ControllerSocketTimeoutMs int

	AutoLeaderRebalanceEnable          bool
	LeaderImbalancePerBrokerPercentage int
	LeaderImbalanceCheckInterval       time.Duration
}

type event interface{}

type (
	electEvent             struct{}
	controllerChangeEvent  struct{}
	brokerChangeEvent      struct{}
	topicChangeEvent       struct{}
	partitionModifiedEvent struct{ topic string }
	topicDeletionEvent     struct{}
	isrChangeEvent         struct{}
	sessionRenewedEvent    struct{}
	shutdownEvent          struct{ done chan struct{} }
)

// KafkaController runs on every broker; at most one is active.
type KafkaController struct {
	cfg      Config
	zk       *zkutil.Client
	log      *logrus.Entry
	stateLog *logrus.Entry
	events   chan event
	active   atomic.Bool
	started  atomic.Bool
	stopped  chan struct{}

	// Everything below is touched only by the event goroutine.
	epoch          int32
	epochZkVersion int32
	ctx            *controllerContext
	channels       map[int32]*brokerChannel
	watching       map[string]bool // topics with a data watch
}

// NewKafkaController returns a controller that has not started yet.
func NewKafkaController(cfg Config, zkClient *zkutil.Client) *KafkaController {
	return &KafkaController{
		cfg:      cfg,
		zk:       zkClient,
		log:      logging.For("kafka.controller.KafkaController").WithField("prefix", "[Controller id="+itoa(cfg.BrokerID)+"]"),
		stateLog: logging.For("state.change.logger"),
		events:   make(chan event, 1024),
		stopped:  make(chan struct{}),
		channels: make(map[int32]*brokerChannel),
		watching: make(map[string]bool),
	}
}

// Startup starts the event loop and tries to become the controller.
func (c *KafkaController) Startup() {
	c.started.Store(true)
	go c.run()
	c.enqueue(electEvent{})
}

// IsActive reports whether this broker is the controller.
func (c *KafkaController) IsActive() bool { return c.active.Load() }

// Epoch returns the controller epoch while active.
func (c *KafkaController) Epoch() int32 { return atomic.LoadInt32(&c.epoch) }

// OnSessionRenewed is called after a ZooKeeper session expired and a new
// one was established: ephemeral nodes are gone, so resign and re-elect.
func (c *KafkaController) OnSessionRenewed() { c.enqueue(sessionRenewedEvent{}) }

// Shutdown resigns and stops the event loop.
func (c *KafkaController) Shutdown() {
	if !c.started.Load() {
		return
	}
	done := make(chan struct{})
	select {
	case c.events <- shutdownEvent{done: done}:
		<-done
	case <-c.stopped:
	}
}

// ask sends an event carrying a reply channel to the event loop and waits
// for the answer; the loop closes the channel unanswered when this broker
// is not the controller.
func ask[T any](c *KafkaController, mk func(reply chan T) event) (T, error) {
	var zero T
	reply := make(chan T, 1)
	c.enqueue(mk(reply))
	select {
	case r, ok := <-reply:
		if !ok {
			return zero, errNotController
		}
		return r, nil
	case <-c.stopped:
		return zero, errNotController
	}
}

func (c *KafkaController) enqueue(e event) {
	select {
	case c.events <- e:
	case <-c.stopped:
	}
}

// watch forwards a one-shot ZooKeeper watch to the event queue.
func (c *KafkaController) watch(ch <-chan zk.Event, e event) {
	go func() {
		select {
		case ev, ok := <-ch:
			if ok && ev.Type != zk.EventNotWatching {
				c.enqueue(e)
			}
		case <-c.stopped:
		}
	}()
}

func (c *KafkaController) run() {
	defer close(c.stopped)
	for e := range c.events {
		switch ev := e.(type) {
		case electEvent:
			c.elect()
		case controllerChangeEvent:
			c.onControllerChange()
		case sessionRenewedEvent:
			c.resign()
			c.elect()
		case brokerChangeEvent:
			c.ifActive(c.onBrokerChange)
		case topicChangeEvent:
			c.ifActive(c.onTopicChange)
		case partitionModifiedEvent:
			c.ifActive(func() { c.onPartitionModification(ev.topic) })
		case topicDeletionEvent:
			c.ifActive(c.onTopicDeletion)
		case controlledShutdownEvent:
			c.onControlledShutdown(ev)
		case electLeadersEvent:
			c.onElectLeaders(ev)
		case autoRebalanceEvent:
			c.ifActive(c.onAutoRebalance)
		case preferredElectionZNodeEvent:
			c.ifActive(c.onPreferredElectionZNode)
		case alterReassignmentsEvent:
			c.onAlterReassignments(ev)
		case listReassignmentsEvent:
			c.onListReassignments(ev)
		case reassignZNodeEvent:
			c.ifActive(c.onReassignZNode)
		case isrChangeEvent:
			c.ifActive(c.onIsrChange)
		case alterIsrEvent:
			c.onAlterIsr(ev)
		case shutdownEvent:
			c.resign()
			close(ev.done)
			return
		}
	}
}

func (c *KafkaController) ifActive(f func()) {
	if c.active.Load() {
		f()
	}
}

// elect races for /controller; the loser watches it for the next chance.
func (c *KafkaController) elect() {
	id, exists, ch, err := c.zk.GetControllerIDW()
	if err != nil {
		c.log.Errorf("Error while reading the controller znode: %v; retrying", err)
		c.retryLater(electEvent{})
		return
	}
	c.watch(ch, controllerChangeEvent{})
	if exists {
		if id != c.cfg.BrokerID {
			c.log.Debugf("Broker %d has been elected as the controller, so stopping the election process.", id)
		}
		return
	}
	epoch, zkVersion, err := c.zk.RegisterControllerAndIncrementControllerEpoch(c.cfg.BrokerID)
	if err != nil {
		if errors.Is(err, zkutil.ErrControllerMoved) || errors.Is(err, zk.ErrNodeExists) {
			c.log.Infof("Broker %d lost the controller election: another broker was elected first", c.cfg.BrokerID)
			return
		}
		c.log.Errorf("Error while electing or becoming controller on broker %d: %v", c.cfg.BrokerID, err)
		c.retryLater(electEvent{})
		return
	}
	atomic.StoreInt32(&c.epoch, epoch)
	c.epochZkVersion = zkVersion
	c.log.Infof("%d successfully elected as the controller. Epoch incremented to %d and epoch zk version is now %d", c.cfg.BrokerID, epoch, zkVersion)
	c.onControllerFailover()
}

func (c *KafkaController) retryLater(e event) {
	go func() {
		select {
		case <-time.After(time.Second):
			c.enqueue(e)
		case <-c.stopped:
		}
	}()
}

// onControllerChange runs when /controller changed: resign if someone
// else holds it now, and race again if it is gone.
func (c *KafkaController) onControllerChange() {
	id, exists, _, err := c.zk.GetControllerIDW()
	if err == nil && exists && id == c.cfg.BrokerID && c.active.Load() {
		c.elect() // re-arm the watch
		return
	}
	if c.active.Load() && (err != nil || !exists || id != c.cfg.BrokerID) {
		c.resign()
	}
	c.elect()
}

var errNotController = errors.New("this broker is not the controller")

// maybeResign gives up the controller role when a fenced ZooKeeper write
// shows that another broker was elected meanwhile.
func (c *KafkaController) maybeResign(err error) {
	if errors.Is(err, zkutil.ErrControllerMoved) {
		c.log.Warnf("Controller moved to another broker; resigning")
		c.resign()
		c.retryLater(electEvent{})
	}
}

// resign drops controller state and closes the channels to brokers.
func (c *KafkaController) resign() {
	if !c.active.Swap(false) {
		return
	}
	c.log.Infof("Resigning")
	for id, ch := range c.channels {
		ch.stop()
		delete(c.channels, id)
	}
	c.ctx = nil
	c.watching = make(map[string]bool)
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }
