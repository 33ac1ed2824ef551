// Package metadata holds the broker's MetadataCache: its view of live
// brokers, topics, partition leaders and the controller, fed by the
// controller's UpdateMetadata requests and read by Metadata and friends.
package metadata

import (
	"sort"
	"sync"
)

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	ListenerName     string
	Host             string
	Port             int32
	SecurityProtocol int16
}

// Broker is a live broker as announced by the controller.
type Broker struct {
	ID        int32
	Rack      string
	Endpoints []Endpoint
}

// EndpointFor returns the broker's endpoint on the named listener.
func (b Broker) EndpointFor(listener string) (Endpoint, bool) {
	for _, e := range b.Endpoints {
		if e.ListenerName == listener {
			return e, true
		}
	}
	return Endpoint{}, false
}

// PartitionState is the controller's view of one partition.
type PartitionState struct {
	Topic           string
	Partition       int32
	ControllerEpoch int32
	Leader          int32
	LeaderEpoch     int32
	Isr             []int32
	ZkVersion       int32
	Replicas        []int32
	OfflineReplicas []int32
}

// leaderDuringDelete is the leader value the controller sends for
// partitions of a topic being deleted (LeaderAndIsr.LeaderDuringDelete).
const leaderDuringDelete = -2

// MetadataCache is safe for concurrent use; readers get copies of slices
// they must not modify.
type MetadataCache struct {
	brokerID int32

	mu           sync.RWMutex
	controllerID int32
	brokers      map[int32]Broker
	topics       map[string]map[int32]*PartitionState
	topicIDs     map[string][16]byte
}

// NewMetadataCache returns an empty cache for broker brokerID.
func NewMetadataCache(brokerID int32) *MetadataCache {
	return &MetadataCache{
		brokerID:     brokerID,
		controllerID: -1,
		brokers:      make(map[int32]Broker),
		topics:       make(map[string]map[int32]*PartitionState),
		topicIDs:     make(map[string][16]byte),
	}
}

// Update applies an UpdateMetadata request's content: the live broker list
// replaces the old one, and partition states are upserted (a leader of -2
// removes the partition, which is how deletions propagate).
func (c *MetadataCache) Update(controllerID int32, brokers []Broker, states []PartitionState, topicIDs map[string][16]byte) (deleted []PartitionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.controllerID = controllerID
	c.brokers = make(map[int32]Broker, len(brokers))
	for _, b := range brokers {
		c.brokers[b.ID] = b
	}
	for i := range states {
		s := states[i]
		if s.Leader == leaderDuringDelete {
			if parts := c.topics[s.Topic]; parts != nil {
				if old := parts[s.Partition]; old != nil {
					deleted = append(deleted, *old)
				}
				delete(parts, s.Partition)
				if len(parts) == 0 {
					delete(c.topics, s.Topic)
					delete(c.topicIDs, s.Topic)
				}
			}
			continue
		}
		parts := c.topics[s.Topic]
		if parts == nil {
			parts = make(map[int32]*PartitionState)
			c.topics[s.Topic] = parts
		}
		parts[s.Partition] = &s
	}
	for t, id := range topicIDs {
		if _, ok := c.topics[t]; ok {
			c.topicIDs[t] = id
		}
	}
	return deleted
}

// ControllerID returns the current controller, or -1.
func (c *MetadataCache) ControllerID() int32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.controllerID
}

// AliveBrokers returns the live brokers sorted by id.
func (c *MetadataCache) AliveBrokers() []Broker {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Broker, 0, len(c.brokers))
	for _, b := range c.brokers {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AliveBrokerIDs returns the sorted ids of live brokers.
func (c *MetadataCache) AliveBrokerIDs() []int32 {
	bs := c.AliveBrokers()
	ids := make([]int32, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	return ids
}

// Broker returns a live broker by id.
func (c *MetadataCache) Broker(id int32) (Broker, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.brokers[id]
	return b, ok
}

// Topics returns every known topic name, sorted.
func (c *MetadataCache) Topics() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.topics))
	for t := range c.topics {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// TopicID returns the topic's id (zero when unknown).
func (c *MetadataCache) TopicID(topic string) [16]byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.topicIDs[topic]
}

// TopicName returns the name of the topic with the given id.
func (c *MetadataCache) TopicName(id [16]byte) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for t, tid := range c.topicIDs {
		if tid == id {
			return t, true
		}
	}
	return "", false
}

// Partitions returns copies of a topic's partition states sorted by
// partition, and whether the topic exists.
func (c *MetadataCache) Partitions(topic string) ([]PartitionState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	parts, ok := c.topics[topic]
	if !ok {
		return nil, false
	}
	out := make([]PartitionState, 0, len(parts))
	for _, p := range parts {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out, true
}

// Partition returns one partition's state.
func (c *MetadataCache) Partition(topic string, partition int32) (PartitionState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.topics[topic][partition]
	if !ok {
		return PartitionState{}, false
	}
	return *p, true
}

// Contains reports whether the topic is known.
func (c *MetadataCache) Contains(topic string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.topics[topic]
	return ok
}
