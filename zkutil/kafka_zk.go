package zkutil

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/gokafka/kafka/core/logging"
)

// Kafka-level operations on top of Client. Mirrors kafka/zk/KafkaZkClient.scala (2.8).

var kzLog = logging.For("kafka.zk.KafkaZkClient")

// MatchAnyVersion matches any znode version in conditional writes.
const MatchAnyVersion int32 = -1

// InitialControllerEpoch is the epoch /controller_epoch is created with.
const InitialControllerEpoch = 0

// CreatePersistentPaths creates the paths every broker expects (ZkData.PersistentZkPaths).
func (c *Client) CreatePersistentPaths() error {
	for _, p := range PersistentZkPaths {
		if err := c.MakeSurePersistentPathExists(p); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// cluster id, broker sequence id

// GetClusterID returns the id in /cluster/id, if any.
func (c *Client) GetClusterID() (string, bool, error) {
	data, _, err := c.GetData(ClusterIDPath)
	if errors.Is(err, ErrNoNode) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	id, err := DecodeClusterID(data)
	return id, err == nil, err
}

// GetOrCreateClusterID stores proposed as the cluster id unless one exists,
// and returns the id in force.
func (c *Client) GetOrCreateClusterID(proposed string) (string, error) {
	err := c.CreateRecursive(ClusterIDPath, EncodeClusterID(proposed))
	if err == nil {
		return proposed, nil
	}
	if !errors.Is(err, ErrNodeExists) {
		return "", err
	}
	id, ok, err := c.GetClusterID()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("Failed to get cluster id from Zookeeper. This can happen if /cluster/id is deleted from Zookeeper.")
	}
	return id, nil
}

// GenerateBrokerSequenceID bumps /brokers/seqid and returns its new
// version; auto-generated broker ids are this plus reserved.broker.max.id.
func (c *Client) GenerateBrokerSequenceID() (int32, error) {
	stat, err := c.SetData(BrokerSeqIDPath, []byte{}, MatchAnyVersion)
	if errors.Is(err, ErrNoNode) {
		if err := c.MakeSurePersistentPathExists(BrokerSeqIDPath); err != nil {
			return 0, err
		}
		return c.GenerateBrokerSequenceID()
	}
	if err != nil {
		return 0, err
	}
	return stat.Version, nil
}

// ---------------------------------------------------------------------------
// brokers

// EphemeralExistsError is returned when an ephemeral we want to create is
// owned by another session (e.g. a second broker with the same id).
type EphemeralExistsError struct {
	Path           string
	Owner, Current int64
}

func (e *EphemeralExistsError) Error() string {
	return fmt.Sprintf("Error while creating ephemeral at %s, node already exists and owner '%d' does not match current session '%d'",
		e.Path, e.Owner, e.Current)
}

// Unwrap makes errors.Is(err, ErrNodeExists) hold.
func (e *EphemeralExistsError) Unwrap() error { return ErrNodeExists }

// RegisterBroker creates /brokers/ids/<id> as an ephemeral owned by this
// session and returns its czxid, the broker epoch.
func (c *Client) RegisterBroker(b BrokerInfo) (int64, error) {
	path := BrokerIDPath(b.ID)
	stat, err := c.checkedEphemeralCreate(path, EncodeBrokerInfo(b))
	if err != nil {
		return 0, err
	}
	addrs := make([]string, len(b.Endpoints))
	for i, e := range b.Endpoints {
		addrs[i] = e.ConnectionString()
	}
	kzLog.Infof("Registered broker %d at path %s with addresses: %s, czxid (broker epoch): %d",
		b.ID, path, strings.Join(addrs, ","), stat.Czxid)
	return stat.Czxid, nil
}

// UpdateBrokerInfo rewrites a registration in place (any version).
func (c *Client) UpdateBrokerInfo(b BrokerInfo) error {
	_, err := c.SetData(BrokerIDPath(b.ID), EncodeBrokerInfo(b), MatchAnyVersion)
	return err
}

// checkedEphemeralCreate mirrors KafkaZkClient.CheckedEphemeral: create with
// null data and set the data in one multi (so we learn the stat), and on
// NODEEXISTS accept the node only if this session owns it.
func (c *Client) checkedEphemeralCreate(path string, data []byte) (*zk.Stat, error) {
	kzLog.Infof("Creating %s (is it secure? false)", path)
	res, err := c.Multi(&zk.CreateRequest{Path: path, Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: path, Data: data, Version: 0})
	var stat *zk.Stat
	switch {
	case err == nil:
		stat = res[1].Stat
	case errors.Is(err, ErrNodeExists):
		stat, err = c.afterEphemeralExists(path, data)
	default:
		kzLog.Errorf("Error while creating ephemeral at %s with return code: %v", path, err)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.ephemeralSession = c.SessionID()
	c.mu.Unlock()
	kzLog.Infof("Stat of the created znode at %s is: %s", path, statString(stat))
	return stat, nil
}

func (c *Client) afterEphemeralExists(path string, data []byte) (*zk.Stat, error) {
	_, stat, err := c.GetData(path)
	if errors.Is(err, ErrNoNode) {
		kzLog.Infof("The ephemeral node at %s went away while reading it, attempting create() again", path)
		return c.checkedEphemeralCreate(path, data)
	}
	if err != nil {
		return nil, err
	}
	current := c.SessionID()
	c.mu.Lock()
	previous := c.ephemeralSession
	c.mu.Unlock()
	switch {
	case stat.EphemeralOwner == current:
		return stat, nil
	case stat.EphemeralOwner == previous && previous != 0:
		// Our own node from an expired session that the server has not yet
		// removed (ZOOKEEPER-2985); Kafka deletes and re-creates it.
		kzLog.Infof("Was not possible to create the ephemeral at %s, node already exists and owner '%d' does not match current session '%d', trying to delete and re-create it with the newest Zookeeper session",
			path, stat.EphemeralOwner, current)
		if err := c.Delete(path, MatchAnyVersion); err != nil && !errors.Is(err, ErrNoNode) {
			return nil, err
		}
		return c.checkedEphemeralCreate(path, data)
	default:
		e := &EphemeralExistsError{Path: path, Owner: stat.EphemeralOwner, Current: current}
		kzLog.Error(e.Error())
		return nil, e
	}
}

// statString renders a Stat like org.apache.zookeeper.data.Stat.toString.
func statString(s *zk.Stat) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", s.Czxid, s.Mzxid, s.Ctime, s.Mtime, s.Version,
		s.Cversion, s.Aversion, s.EphemeralOwner, s.DataLength, s.NumChildren, s.Pzxid)
}

func parseIDs(children []string) []int32 {
	ids := make([]int32, 0, len(children))
	for _, ch := range children {
		if v, err := strconv.ParseInt(ch, 10, 32); err == nil {
			ids = append(ids, int32(v))
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// GetBrokerIDs returns the registered broker ids, sorted.
func (c *Client) GetBrokerIDs() ([]int32, error) {
	children, err := c.GetChildren(BrokerIDsPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	return parseIDs(children), err
}

// GetBrokerIDsW is GetBrokerIDs plus a child watch on /brokers/ids.
func (c *Client) GetBrokerIDsW() ([]int32, <-chan zk.Event, error) {
	if err := c.MakeSurePersistentPathExists(BrokerIDsPath); err != nil {
		return nil, nil, err
	}
	children, ch, err := c.GetChildrenW(BrokerIDsPath)
	if err != nil {
		return nil, nil, err
	}
	return parseIDs(children), ch, nil
}

// GetBroker reads one registration with its epoch (czxid).
func (c *Client) GetBroker(id int32) (BrokerInfo, bool, error) {
	data, stat, err := c.GetData(BrokerIDPath(id))
	if errors.Is(err, ErrNoNode) {
		return BrokerInfo{}, false, nil
	}
	if err != nil {
		return BrokerInfo{}, false, err
	}
	b, err := DecodeBrokerInfo(id, data)
	if err != nil {
		return BrokerInfo{}, false, err
	}
	b.Epoch = stat.Czxid
	return b, true, nil
}

// GetAllBrokers returns every registered broker, sorted by id, with epochs.
// Brokers that vanish while being read are skipped.
func (c *Client) GetAllBrokers() ([]BrokerInfo, error) {
	ids, err := c.GetBrokerIDs()
	if err != nil {
		return nil, err
	}
	out := make([]BrokerInfo, 0, len(ids))
	for _, id := range ids {
		b, ok, err := c.GetBroker(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, b)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// controller

// GetControllerID returns the broker id in /controller, if any.
func (c *Client) GetControllerID() (int32, bool, error) {
	data, _, err := c.GetData(ControllerPath)
	if errors.Is(err, ErrNoNode) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	id, err := DecodeController(data)
	return id, err == nil, err
}

// GetControllerIDW reads /controller and leaves an exists-watch on it that
// fires when it is created, changed or deleted.
func (c *Client) GetControllerIDW() (int32, bool, <-chan zk.Event, error) {
	exists, _, ch, err := c.ExistsW(ControllerPath)
	if err != nil || !exists {
		return 0, false, ch, err
	}
	id, ok, err := c.GetControllerID()
	return id, ok, ch, err
}

// GetControllerEpoch returns the epoch and the zkVersion of /controller_epoch.
func (c *Client) GetControllerEpoch() (epoch int32, zkVersion int32, exists bool, err error) {
	data, stat, err := c.GetData(ControllerEpochPath)
	if errors.Is(err, ErrNoNode) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	epoch, err = DecodeControllerEpoch(data)
	return epoch, stat.Version, err == nil, err
}

func controllerMoved(msg string) error { return &ControllerMovedError{Msg: msg} }

// RegisterControllerAndIncrementControllerEpoch tries to become controller:
// one multi creates /controller (ephemeral) and bumps /controller_epoch at its
// expected version. It returns the new epoch and the epoch's zkVersion, which
// fences every later controller write. If someone else won, the error is a
// ControllerMovedError (errors.Is(err, ErrControllerMoved)).
func (c *Client) RegisterControllerAndIncrementControllerEpoch(id int32) (int32, int32, error) {
	timestamp := time.Now().UnixMilli()
	curEpoch, curVersion, exists, err := c.GetControllerEpoch()
	if err != nil {
		return 0, 0, err
	}
	if !exists {
		if curEpoch, curVersion, err = c.maybeCreateControllerEpoch(); err != nil {
			return 0, 0, err
		}
	}
	newEpoch := curEpoch + 1
	kzLog.Debugf("Try to create %s and increment controller epoch to %d with expected controller epoch zkVersion %d",
		ControllerPath, newEpoch, curVersion)
	res, err := c.Multi(
		&zk.CreateRequest{Path: ControllerPath, Data: EncodeController(id, timestamp), Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: ControllerEpochPath, Data: EncodeControllerEpoch(newEpoch), Version: curVersion})
	switch {
	case err == nil:
		return newEpoch, res[1].Stat.Version, nil
	case errors.Is(err, ErrNodeExists) || errors.Is(err, ErrBadVersion):
		return c.checkControllerAndEpoch(id, newEpoch)
	default:
		return 0, 0, err
	}
}

func (c *Client) maybeCreateControllerEpoch() (int32, int32, error) {
	_, err := c.Create(ControllerEpochPath, EncodeControllerEpoch(InitialControllerEpoch), 0)
	if err == nil {
		kzLog.Infof("Successfully created %s with initial epoch %d", ControllerEpochPath, InitialControllerEpoch)
		return InitialControllerEpoch, 0, nil
	}
	if !errors.Is(err, ErrNodeExists) {
		return 0, 0, err
	}
	epoch, version, exists, err := c.GetControllerEpoch()
	if err == nil && !exists {
		err = fmt.Errorf("%s existed before but goes away while trying to read it", ControllerEpochPath)
	}
	return epoch, version, err
}

// checkControllerAndEpoch decides, after a failed multi, whether we won
// anyway (a retried request that had succeeded).
func (c *Client) checkControllerAndEpoch(id, newEpoch int32) (int32, int32, error) {
	cur, ok, err := c.GetControllerID()
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, controllerMoved(fmt.Sprintf("The ephemeral node at %s went away while checking whether the controller election succeeds. Aborting controller startup procedure", ControllerPath))
	}
	if cur == id {
		epoch, version, exists, err := c.GetControllerEpoch()
		if err != nil {
			return 0, 0, err
		}
		if exists && epoch == newEpoch {
			return newEpoch, version, nil
		}
	}
	return 0, 0, controllerMoved(ErrControllerMoved.Error())
}

// DeleteController removes /controller (resignation), fenced by the epoch.
func (c *Client) DeleteController(epochZkVersion int32) error {
	err := c.guarded(epochZkVersion, &zk.DeleteRequest{Path: ControllerPath, Version: MatchAnyVersion})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// guarded runs op in a multi behind check(/controller_epoch, epochZkVersion),
// so a deposed controller cannot write (wrapRequestWithControllerEpochCheck).
// A negative epochZkVersion runs op without the check (admin tools).
func (c *Client) guarded(epochZkVersion int32, op interface{}) error {
	_, err := c.guardedMulti(epochZkVersion, op)
	return err
}

func (c *Client) guardedMulti(epochZkVersion int32, op interface{}) (zk.MultiResponse, error) {
	if epochZkVersion < 0 {
		res, err := c.Multi(op)
		if len(res) == 1 {
			return res[0], err
		}
		return zk.MultiResponse{}, err
	}
	res, err := c.Multi(&zk.CheckVersionRequest{Path: ControllerEpochPath, Version: epochZkVersion}, op)
	if err != nil && len(res) == 2 && res[0].Error != nil {
		return zk.MultiResponse{}, controllerMoved(fmt.Sprintf("Controller epoch zkVersion check fails. Expected zkVersion = %d", epochZkVersion))
	}
	if len(res) == 2 {
		return res[1], err
	}
	return zk.MultiResponse{}, err
}

// ---------------------------------------------------------------------------
// topics

// GetAllTopics lists /brokers/topics.
func (c *Client) GetAllTopics() ([]string, error) {
	topics, err := c.GetChildren(TopicsPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	sort.Strings(topics)
	return topics, err
}

// GetAllTopicsW lists /brokers/topics and sets a child watch.
func (c *Client) GetAllTopicsW() ([]string, <-chan zk.Event, error) {
	if err := c.MakeSurePersistentPathExists(TopicsPath); err != nil {
		return nil, nil, err
	}
	topics, ch, err := c.GetChildrenW(TopicsPath)
	sort.Strings(topics)
	return topics, ch, err
}

// TopicExists reports whether /brokers/topics/<topic> exists.
func (c *Client) TopicExists(topic string) (bool, error) {
	ok, _, err := c.Exists(TopicPath(topic))
	return ok, err
}

// GetTopicAssignment reads one topic's replica assignment.
func (c *Client) GetTopicAssignment(topic string) (TopicAssignment, bool, error) {
	data, stat, err := c.GetData(TopicPath(topic))
	if errors.Is(err, ErrNoNode) {
		return TopicAssignment{}, false, nil
	}
	if err != nil {
		return TopicAssignment{}, false, err
	}
	a, err := DecodeTopicAssignment(topic, data)
	if err != nil {
		return TopicAssignment{}, false, err
	}
	a.ZkVersion = stat.Version
	return a, true, nil
}

// GetTopicAssignmentW reads one topic's assignment and sets a data watch
// (the controller watches for added partitions and reassignments). For a
// missing topic the watch fires when it is created.
func (c *Client) GetTopicAssignmentW(topic string) (TopicAssignment, bool, <-chan zk.Event, error) {
	data, stat, ch, err := c.GetDataW(TopicPath(topic))
	if errors.Is(err, ErrNoNode) {
		// Watch for its creation instead, so the caller still gets an event.
		exists, _, ech, err := c.ExistsW(TopicPath(topic))
		if err != nil {
			return TopicAssignment{}, false, nil, err
		}
		if exists {
			return c.GetTopicAssignmentW(topic)
		}
		return TopicAssignment{}, false, ech, nil
	}
	if err != nil {
		return TopicAssignment{}, false, nil, err
	}
	a, err := DecodeTopicAssignment(topic, data)
	if err != nil {
		return TopicAssignment{}, false, ch, err
	}
	a.ZkVersion = stat.Version
	return a, true, ch, nil
}

// GetTopicAssignments reads several topics; missing topics are left out.
func (c *Client) GetTopicAssignments(topics []string) (map[string]TopicAssignment, error) {
	out := make(map[string]TopicAssignment, len(topics))
	for _, t := range topics {
		a, ok, err := c.GetTopicAssignment(t)
		if err != nil {
			return nil, err
		}
		if ok {
			out[t] = a
		}
	}
	return out, nil
}

// CreateTopicAssignment writes a new /brokers/topics/<topic>; ErrNodeExists
// if the topic exists.
func (c *Client) CreateTopicAssignment(a TopicAssignment) error {
	return c.CreateRecursive(TopicPath(a.Topic), EncodeTopicAssignment(a))
}

// SetTopicAssignment overwrites an assignment if its version matches
// (MatchAnyVersion = unconditional).
func (c *Client) SetTopicAssignment(a TopicAssignment, expectedVersion int32) error {
	_, err := c.SetData(TopicPath(a.Topic), EncodeTopicAssignment(a), expectedVersion)
	return err
}

// SetTopicAssignmentGuarded is SetTopicAssignment fenced by the controller epoch.
func (c *Client) SetTopicAssignmentGuarded(a TopicAssignment, expectedVersion, epochZkVersion int32) error {
	return c.guarded(epochZkVersion, &zk.SetDataRequest{Path: TopicPath(a.Topic),
		Data: EncodeTopicAssignment(a), Version: expectedVersion})
}

// ---------------------------------------------------------------------------
// partition state

// GetPartitionState reads leader/ISR with the state znode's zkVersion.
func (c *Client) GetPartitionState(tp TopicPartition) (LeaderIsr, bool, error) {
	data, stat, err := c.GetData(TopicPartitionStatePath(tp))
	if errors.Is(err, ErrNoNode) {
		return LeaderIsr{}, false, nil
	}
	if err != nil {
		return LeaderIsr{}, false, err
	}
	s, err := DecodePartitionState(data, stat.Version)
	return s, err == nil, err
}

// GetPartitionStates reads several partitions; missing ones are left out.
func (c *Client) GetPartitionStates(tps []TopicPartition) (map[TopicPartition]LeaderIsr, error) {
	out := make(map[TopicPartition]LeaderIsr, len(tps))
	for _, tp := range tps {
		s, ok, err := c.GetPartitionState(tp)
		if err != nil {
			return nil, err
		}
		if ok {
			out[tp] = s
		}
	}
	return out, nil
}

// CreatePartitionStates creates the partitions/<p> parents and the state
// znodes (version 0), each write fenced by the controller epoch. Partitions
// that could not be created (e.g. ErrNodeExists) are returned in failed; err
// is set when the whole operation failed (e.g. ErrControllerMoved).
func (c *Client) CreatePartitionStates(controllerEpoch, epochZkVersion int32,
	states map[TopicPartition]LeaderIsr) (failed map[TopicPartition]error, err error) {
	failed = map[TopicPartition]error{}
	topics := map[string]bool{}
	for tp := range states {
		topics[tp.Topic] = true
	}
	for t := range topics {
		if err := c.createGuardedIfMissing(TopicPartitionsPath(t), epochZkVersion); err != nil {
			return nil, err
		}
	}
	for _, tp := range sortedPartitions(states) {
		if err := c.createGuardedIfMissing(TopicPartitionPath(tp), epochZkVersion); err != nil {
			if errors.Is(err, ErrControllerMoved) {
				return nil, err
			}
			failed[tp] = err
			continue
		}
		s := states[tp]
		s.ControllerEpoch = controllerEpoch
		err := c.guarded(epochZkVersion, &zk.CreateRequest{Path: TopicPartitionStatePath(tp), Data: EncodePartitionState(s)})
		if errors.Is(err, ErrControllerMoved) {
			return nil, err
		}
		if err != nil {
			failed[tp] = err
		}
	}
	return failed, nil
}

func (c *Client) createGuardedIfMissing(path string, epochZkVersion int32) error {
	err := c.guarded(epochZkVersion, &zk.CreateRequest{Path: path})
	if errors.Is(err, ErrNodeExists) {
		return nil
	}
	return err
}

func sortedPartitions(m map[TopicPartition]LeaderIsr) []TopicPartition {
	tps := make([]TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	return tps
}

// UpdateLeaderAndIsrResult is the outcome of UpdatePartitionStates per partition.
type UpdateLeaderAndIsrResult struct {
	Successful map[TopicPartition]LeaderIsr // with the new ZkVersion
	ToRetry    []TopicPartition             // BADVERSION: re-read and retry
	Failed     map[TopicPartition]error
}

// UpdatePartitionStates writes each state if its znode is still at
// state.ZkVersion, fenced by the controller epoch (updateLeaderAndIsr). A
// ControllerMovedError aborts the whole call.
func (c *Client) UpdatePartitionStates(controllerEpoch, epochZkVersion int32,
	states map[TopicPartition]LeaderIsr) (UpdateLeaderAndIsrResult, error) {
	r := UpdateLeaderAndIsrResult{Successful: map[TopicPartition]LeaderIsr{}, Failed: map[TopicPartition]error{}}
	for _, tp := range sortedPartitions(states) {
		s := states[tp]
		s.ControllerEpoch = controllerEpoch
		res, err := c.guardedMulti(epochZkVersion, &zk.SetDataRequest{Path: TopicPartitionStatePath(tp),
			Data: EncodePartitionState(s), Version: s.ZkVersion})
		switch {
		case errors.Is(err, ErrControllerMoved):
			return r, err
		case errors.Is(err, ErrBadVersion):
			r.ToRetry = append(r.ToRetry, tp)
		case err != nil:
			r.Failed[tp] = err
		default:
			s.ZkVersion = res.Stat.Version
			r.Successful[tp] = s
		}
	}
	return r, nil
}

// ConditionalUpdatePartitionState is the partition leader's own ISR write
// (IBP < 2.7-IV2): set the state if still at expectedVersion. On BADVERSION it
// re-reads and reports success if the stored state already equals ours
// (a retried write that had landed), like ReplicationUtils.updateLeaderAndIsr.
func (c *Client) ConditionalUpdatePartitionState(tp TopicPartition, s LeaderIsr, expectedVersion int32) (int32, error) {
	path := TopicPartitionStatePath(tp)
	stat, err := c.SetData(path, EncodePartitionState(s), expectedVersion)
	if err == nil {
		return stat.Version, nil
	}
	if !errors.Is(err, ErrBadVersion) {
		return 0, err
	}
	cur, ok, rerr := c.GetPartitionState(tp)
	if rerr == nil && ok && cur.Leader == s.Leader && cur.LeaderEpoch == s.LeaderEpoch &&
		cur.ControllerEpoch == s.ControllerEpoch && reflect.DeepEqual(cur.Isr, s.Isr) {
		return cur.ZkVersion, nil
	}
	return 0, err
}

// ---------------------------------------------------------------------------
// ISR change notifications

// PropagateIsrChanges creates one /isr_change_notification/isr_change_N
// node listing the partitions whose ISR changed.
func (c *Client) PropagateIsrChanges(tps []TopicPartition) error {
	_, err := c.Create(IsrChangeNotificationPath+"/"+IsrChangePrefix, EncodePartitionList(tps), zk.FlagSequence)
	if errors.Is(err, ErrNoNode) {
		if err := c.MakeSurePersistentPathExists(IsrChangeNotificationPath); err != nil {
			return err
		}
		_, err = c.Create(IsrChangeNotificationPath+"/"+IsrChangePrefix, EncodePartitionList(tps), zk.FlagSequence)
	}
	return err
}

// GetIsrChangeNotificationsW lists notification node names (sorted) and sets a child watch.
func (c *Client) GetIsrChangeNotificationsW() ([]string, <-chan zk.Event, error) {
	if err := c.MakeSurePersistentPathExists(IsrChangeNotificationPath); err != nil {
		return nil, nil, err
	}
	names, ch, err := c.GetChildrenW(IsrChangeNotificationPath)
	sort.Strings(names)
	return names, ch, err
}

// GetPartitionsFromIsrChangeNotifications reads the named notifications;
// vanished ones are skipped.
func (c *Client) GetPartitionsFromIsrChangeNotifications(names []string) ([]TopicPartition, error) {
	seen := map[TopicPartition]bool{}
	var out []TopicPartition
	for _, n := range names {
		data, _, err := c.GetData(IsrChangeNotificationPath + "/" + n)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		tps, err := DecodePartitionList(data)
		if err != nil {
			kzLog.Warnf("Ignoring malformed ISR change notification %s: %v", n, err)
			continue
		}
		for _, tp := range tps {
			if !seen[tp] {
				seen[tp] = true
				out = append(out, tp)
			}
		}
	}
	return out, nil
}

// DeleteIsrChangeNotifications removes the named notifications (epoch-fenced).
func (c *Client) DeleteIsrChangeNotifications(names []string, epochZkVersion int32) error {
	for _, n := range names {
		err := c.guarded(epochZkVersion, &zk.DeleteRequest{Path: IsrChangeNotificationPath + "/" + n, Version: MatchAnyVersion})
		if err != nil && !errors.Is(err, ErrNoNode) {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// topic deletion

// GetDeleteTopicsW lists /admin/delete_topics and sets a child watch.
func (c *Client) GetDeleteTopicsW() ([]string, <-chan zk.Event, error) {
	if err := c.MakeSurePersistentPathExists(DeleteTopicsPath); err != nil {
		return nil, nil, err
	}
	topics, ch, err := c.GetChildrenW(DeleteTopicsPath)
	sort.Strings(topics)
	return topics, ch, err
}

// CreateDeleteTopicNode marks a topic for deletion; ErrNodeExists if already marked.
func (c *Client) CreateDeleteTopicNode(topic string) error {
	return c.CreateRecursive(DeleteTopicPath(topic), nil)
}

// IsTopicMarkedForDeletion reports whether /admin/delete_topics/<topic> exists.
func (c *Client) IsTopicMarkedForDeletion(topic string) (bool, error) {
	ok, _, err := c.Exists(DeleteTopicPath(topic))
	return ok, err
}

// DeleteDeleteTopicNode removes the deletion marker (epoch-fenced when
// epochZkVersion >= 0); a missing marker is fine.
func (c *Client) DeleteDeleteTopicNode(topic string, epochZkVersion int32) error {
	err := c.guarded(epochZkVersion, &zk.DeleteRequest{Path: DeleteTopicPath(topic), Version: MatchAnyVersion})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// DeleteTopicZNodes removes /brokers/topics/<topic> recursively and
// /config/topics/<topic>, each delete epoch-fenced when epochZkVersion >= 0.
func (c *Client) DeleteTopicZNodes(topic string, epochZkVersion int32) error {
	if err := c.deleteRecursiveGuarded(TopicPath(topic), epochZkVersion); err != nil {
		return err
	}
	return c.deleteRecursiveGuarded(ConfigEntityPath(ConfigTypeTopic, topic), epochZkVersion)
}

func (c *Client) deleteRecursiveGuarded(path string, epochZkVersion int32) error {
	children, err := c.GetChildren(path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, ch := range children {
		if err := c.deleteRecursiveGuarded(path+"/"+ch, epochZkVersion); err != nil {
			return err
		}
	}
	err = c.guarded(epochZkVersion, &zk.DeleteRequest{Path: path, Version: MatchAnyVersion})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// ---------------------------------------------------------------------------
// entity configs

// GetEntityConfig reads /config/<type>/<name>; a missing node is an empty config.
func (c *Client) GetEntityConfig(entityType, name string) (map[string]string, error) {
	data, _, err := c.GetData(ConfigEntityPath(entityType, name))
	if errors.Is(err, ErrNoNode) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return DecodeEntityConfig(data)
}

// GetAllEntitiesWithConfig lists the names under /config/<type>.
func (c *Client) GetAllEntitiesWithConfig(entityType string) ([]string, error) {
	names, err := c.GetChildren(ConfigEntityTypePath(entityType))
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	sort.Strings(names)
	return names, err
}

// SetOrCreateEntityConfig writes the whole config of an entity, creating
// the node if needed (setOrCreateEntityConfigs).
func (c *Client) SetOrCreateEntityConfig(entityType, name string, config map[string]string) error {
	path := ConfigEntityPath(entityType, name)
	data := EncodeEntityConfig(config)
	_, err := c.SetData(path, data, MatchAnyVersion)
	if !errors.Is(err, ErrNoNode) {
		return err
	}
	err = c.CreateRecursive(path, data)
	if errors.Is(err, ErrNodeExists) {
		_, err = c.SetData(path, data, MatchAnyVersion)
	}
	return err
}

// CreateConfigChangeNotification tells brokers that an entity's config
// changed; entityPath is "<type>/<name>", e.g. "topics/t".
func (c *Client) CreateConfigChangeNotification(entityPath string) error {
	if err := c.MakeSurePersistentPathExists(ConfigChangesPath); err != nil {
		return err
	}
	_, err := c.Create(ConfigChangesPath+"/"+ConfigChangePrefix, EncodeConfigChangeNotification(entityPath), zk.FlagSequence)
	return err
}

// ---------------------------------------------------------------------------
// partition reassignment

// GetPartitionReassignment reads /admin/reassign_partitions, if present.
func (c *Client) GetPartitionReassignment() (map[TopicPartition][]int32, bool, error) {
	data, _, err := c.GetData(ReassignPartitionsPath)
	if errors.Is(err, ErrNoNode) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	r, err := DecodeReassignment(data)
	return r, err == nil, err
}

// CreatePartitionReassignment writes /admin/reassign_partitions; ErrNodeExists
// while another reassignment is pending.
func (c *Client) CreatePartitionReassignment(r map[TopicPartition][]int32) error {
	return c.CreateRecursive(ReassignPartitionsPath, EncodeReassignment(r))
}

// DeletePartitionReassignment removes the node (epoch-fenced when epochZkVersion >= 0).
func (c *Client) DeletePartitionReassignment(epochZkVersion int32) error {
	err := c.guarded(epochZkVersion, &zk.DeleteRequest{Path: ReassignPartitionsPath, Version: MatchAnyVersion})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// ---------------------------------------------------------------------------
// producer id blocks

// ClaimProducerIDBlock reserves the next block of ProducerIDBlockSize ids
// for brokerID by a conditional write of /latest_producer_id_block
// (ProducerIdManager.getNewProducerIdBlock), retrying on races.
func (c *Client) ClaimProducerIDBlock(brokerID int32) (ProducerIDBlock, error) {
	for attempt := 0; attempt < 100; attempt++ {
		data, stat, err := c.GetData(ProducerIDBlockPath)
		if errors.Is(err, ErrNoNode) {
			if err := c.MakeSurePersistentPathExists(ProducerIDBlockPath); err != nil {
				return ProducerIDBlock{}, err
			}
			continue
		}
		if err != nil {
			return ProducerIDBlock{}, err
		}
		next := ProducerIDBlock{BrokerID: brokerID, BlockStart: 0, BlockEnd: ProducerIDBlockSize - 1}
		if len(data) > 0 {
			cur, err := DecodeProducerIDBlock(data)
			if err != nil {
				return ProducerIDBlock{}, err
			}
			next.BlockStart = cur.BlockEnd + 1
			next.BlockEnd = cur.BlockEnd + ProducerIDBlockSize
		}
		_, err = c.SetData(ProducerIDBlockPath, EncodeProducerIDBlock(next), stat.Version)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, ErrBadVersion) {
			return ProducerIDBlock{}, err
		}
	}
	return ProducerIDBlock{}, errors.New("failed to claim a producer id block: too many concurrent updates")
}

// ---------------------------------------------------------------------------
// preferred replica election

// GetPreferredReplicaElection reads /admin/preferred_replica_election, if present.
func (c *Client) GetPreferredReplicaElection() ([]TopicPartition, bool, error) {
	data, _, err := c.GetData(PreferredReplicaElectionPath)
	if errors.Is(err, ErrNoNode) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	tps, err := DecodePartitionList(data)
	return tps, err == nil, err
}

// CreatePreferredReplicaElection asks the controller to move leadership back
// to the preferred replicas; ErrNodeExists while one is pending.
func (c *Client) CreatePreferredReplicaElection(tps []TopicPartition) error {
	return c.CreateRecursive(PreferredReplicaElectionPath, EncodePartitionList(tps))
}

// DeletePreferredReplicaElection removes the request (epoch-fenced when epochZkVersion >= 0).
func (c *Client) DeletePreferredReplicaElection(epochZkVersion int32) error {
	err := c.guarded(epochZkVersion, &zk.DeleteRequest{Path: PreferredReplicaElectionPath, Version: MatchAnyVersion})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}
