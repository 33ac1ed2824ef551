package group

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// GroupState is a group's place in the rebalance protocol.
type GroupState int8

// The states of Kafka's GroupMetadata.
const (
	Empty GroupState = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

func (s GroupState) String() string {
	switch s {
	case Empty:
		return "Empty"
	case PreparingRebalance:
		return "PreparingRebalance"
	case CompletingRebalance:
		return "CompletingRebalance"
	case Stable:
		return "Stable"
	}
	return "Dead"
}

// ParseGroupState maps a state name (ListGroups filter) to a state.
func ParseGroupState(s string) (GroupState, bool) {
	for st := Empty; st <= Dead; st++ {
		if strings.EqualFold(st.String(), s) {
			return st, true
		}
	}
	return Dead, false
}

// validPrevious lists the states each state may be entered from.
var validPrevious = map[GroupState][]GroupState{
	Empty:               {PreparingRebalance},
	PreparingRebalance:  {Stable, CompletingRebalance, Empty},
	CompletingRebalance: {PreparingRebalance},
	Stable:              {CompletingRebalance},
	Dead:                {Stable, PreparingRebalance, CompletingRebalance, Empty, Dead},
}

// ConsumerProtocolType is the protocol type of Kafka consumers.
const ConsumerProtocolType = "consumer"

// TopicPartition names a partition whose offset a group commits.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// commitRecord is a committed offset and the log offset of the batch
// that stored it (-1 while unknown).
type commitRecord struct {
	appendedBatchOffset int64
	om                  OffsetAndMetadata
}

// GroupMetadata is one group's membership, rebalance state and committed
// offsets. Every field is guarded by mu (Kafka's group.inLock).
type GroupMetadata struct {
	mu sync.Mutex

	groupID               string
	state                 GroupState
	currentStateTimestamp int64 // -1 when unknown
	protocolType          *string
	protocolName          *string
	generationID          int32
	leaderID              *string

	members            map[string]*MemberMetadata
	order              []string // member ids in joining order (leader re-election, listings)
	staticMembers      map[string]string
	pendingMembers     map[string]uint64 // member id -> expiry sequence
	numAwaitingJoin    int
	supportedProtocols map[string]int
	newMemberAdded     bool
	subscribedTopics   map[string]bool // nil when unknown

	offsets              map[TopicPartition]commitRecord
	pendingOffsetCommits map[TopicPartition]OffsetAndMetadata
	// pendingTxnOffsets are transactional commits (TxnOffsetCommit) per
	// producer id, written to the log but invisible until the producer's
	// commit marker (Kafka's pendingTransactionalOffsetCommits).
	pendingTxnOffsets map[int64]map[TopicPartition]commitRecord
	// Whether the group saw plain and transactional commits; mixing
	// both is legal but surprising, and logged.
	receivedConsumerOffsetCommits bool
	receivedTxnOffsetCommits      bool

	join *delayedJoin
}

func newGroup(id string, state GroupState, now int64) *GroupMetadata {
	return &GroupMetadata{
		groupID: id, state: state, currentStateTimestamp: now,
		members: map[string]*MemberMetadata{}, staticMembers: map[string]string{},
		pendingMembers: map[string]uint64{}, supportedProtocols: map[string]int{},
		offsets: map[TopicPartition]commitRecord{}, pendingOffsetCommits: map[TopicPartition]OffsetAndMetadata{},
		pendingTxnOffsets: map[int64]map[TopicPartition]commitRecord{},
	}
}

// ID returns the group id.
func (g *GroupMetadata) ID() string { return g.groupID }

func (g *GroupMetadata) is(s GroupState) bool { return g.state == s }

func (g *GroupMetadata) canRebalance() bool {
	return containsState(validPrevious[PreparingRebalance], g.state)
}

func containsState(list []GroupState, s GroupState) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// transitionTo moves to s, panicking on a transition Kafka forbids: that
// would be a coordinator bug, not bad input.
func (g *GroupMetadata) transitionTo(s GroupState) {
	if !containsState(validPrevious[s], g.state) {
		panic(fmt.Sprintf("Group %s should be in the %v states before moving to %s state. Instead it is in %s state",
			g.groupID, validPrevious[s], s, g.state))
	}
	g.state = s
	g.currentStateTimestamp = time.Now().UnixMilli()
}

func (g *GroupMetadata) has(memberID string) bool            { _, ok := g.members[memberID]; return ok }
func (g *GroupMetadata) get(memberID string) *MemberMetadata { return g.members[memberID] }
func (g *GroupMetadata) size() int                           { return len(g.members) }
func (g *GroupMetadata) isLeader(memberID string) bool {
	return g.leaderID != nil && *g.leaderID == memberID
}
func (g *GroupMetadata) leaderOrEmpty() string {
	if g.leaderID == nil {
		return ""
	}
	return *g.leaderID
}

func (g *GroupMetadata) allMembers() []*MemberMetadata {
	out := make([]*MemberMetadata, 0, len(g.order))
	for _, id := range g.order {
		out = append(out, g.members[id])
	}
	return out
}

func (g *GroupMetadata) add(m *MemberMetadata, cb func(JoinResult)) {
	if len(g.members) == 0 {
		pt := m.ProtocolType
		g.protocolType = &pt
	}
	if g.leaderID == nil {
		id := m.MemberID
		g.leaderID = &id
	}
	g.members[m.MemberID] = m
	g.order = append(g.order, m.MemberID)
	for _, p := range m.Protocols {
		g.supportedProtocols[p.Name]++
	}
	m.awaitingJoin = cb
	if cb != nil {
		g.numAwaitingJoin++
	}
}

func (g *GroupMetadata) remove(memberID string) {
	m, ok := g.members[memberID]
	if !ok {
		return
	}
	for _, p := range m.Protocols {
		g.supportedProtocols[p.Name]--
	}
	if m.isAwaitingJoin() {
		g.numAwaitingJoin--
	}
	delete(g.members, memberID)
	for i, id := range g.order {
		if id == memberID {
			g.order = append(g.order[:i:i], g.order[i+1:]...)
			break
		}
	}
	if m.GroupInstanceID != nil && g.staticMembers[*m.GroupInstanceID] == memberID {
		delete(g.staticMembers, *m.GroupInstanceID)
	}
	if g.isLeader(memberID) {
		g.leaderID = nil
		if len(g.order) > 0 {
			id := g.order[0]
			g.leaderID = &id
		}
	}
	m.hbSeq++
	if m.hbTimer != nil {
		m.hbTimer.Stop()
	}
}

func (g *GroupMetadata) hasStaticMember(instanceID *string) bool {
	if instanceID == nil {
		return false
	}
	_, ok := g.staticMembers[*instanceID]
	return ok
}

func (g *GroupMetadata) staticMemberID(instanceID *string) string {
	if instanceID == nil {
		return ""
	}
	return g.staticMembers[*instanceID]
}

// replaceGroupInstance gives a rejoining static member its new member id.
// The old id's pending JoinGroup or SyncGroup is fenced.
func (g *GroupMetadata) replaceGroupInstance(oldID, newID string, instanceID *string) *MemberMetadata {
	m := g.members[oldID]
	if m == nil {
		panic(fmt.Sprintf("Cannot replace non-existing member id %s", oldID))
	}
	if m.awaitingJoin != nil {
		m.awaitingJoin(JoinResult{MemberID: oldID, GenerationID: -1, Error: errFencedInstanceID})
		m.awaitingJoin = nil
		g.numAwaitingJoin--
	}
	if m.awaitingSync != nil {
		m.awaitingSync(SyncResult{Error: errFencedInstanceID})
		m.awaitingSync = nil
	}
	delete(g.members, oldID)
	m.MemberID = newID
	g.members[newID] = m
	for i, id := range g.order {
		if id == oldID {
			g.order[i] = newID
		}
	}
	if g.isLeader(oldID) {
		g.leaderID = &newID
	}
	g.staticMembers[*instanceID] = newID
	return m
}

// isStaticMemberFenced is true when instanceID belongs to a different
// member id than the caller's.
func (g *GroupMetadata) isStaticMemberFenced(memberID string, instanceID *string) bool {
	return g.hasStaticMember(instanceID) && g.staticMemberID(instanceID) != memberID
}

func (g *GroupMetadata) isPendingMember(id string) bool { _, ok := g.pendingMembers[id]; return ok }

func (g *GroupMetadata) removePendingMember(id string) { delete(g.pendingMembers, id) }

func (g *GroupMetadata) hasAllMembersJoined() bool {
	return len(g.members) == g.numAwaitingJoin && len(g.pendingMembers) == 0
}

func (g *GroupMetadata) notYetRejoinedMembers() []*MemberMetadata {
	var out []*MemberMetadata
	for _, m := range g.allMembers() {
		if !m.isAwaitingJoin() {
			out = append(out, m)
		}
	}
	return out
}

// rebalanceTimeoutMs is the largest rebalance timeout among the members.
func (g *GroupMetadata) rebalanceTimeoutMs() int32 {
	var t int32
	for _, m := range g.members {
		t = max(t, m.RebalanceTimeoutMs)
	}
	return t
}

// candidateProtocols are the protocols every member supports.
func (g *GroupMetadata) candidateProtocols() map[string]bool {
	out := map[string]bool{}
	for name, n := range g.supportedProtocols {
		if n == len(g.members) {
			out[name] = true
		}
	}
	return out
}

// supportsProtocols tells whether a joining member fits: an empty group
// takes any non-empty protocol type and list; otherwise the type must match
// and the member must share a protocol with everybody.
func (g *GroupMetadata) supportsProtocols(protocolType string, protocols []Protocol) bool {
	if g.is(Empty) {
		return protocolType != "" && len(protocols) > 0
	}
	if g.protocolType == nil || *g.protocolType != protocolType {
		return false
	}
	cand := g.candidateProtocols()
	for _, p := range protocols {
		if cand[p.Name] {
			return true
		}
	}
	return false
}

// selectProtocol lets every member vote for its preferred candidate; the
// most votes win, ties going to the protocol voted for first.
func (g *GroupMetadata) selectProtocol() string {
	cand := g.candidateProtocols()
	votes := map[string]int{}
	var first []string
	for _, m := range g.allMembers() {
		v := m.vote(cand)
		if votes[v] == 0 {
			first = append(first, v)
		}
		votes[v]++
	}
	best := ""
	for _, name := range first {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

func (g *GroupMetadata) updateMember(m *MemberMetadata, protocols []Protocol, cb func(JoinResult)) {
	for _, p := range m.Protocols {
		g.supportedProtocols[p.Name]--
	}
	for _, p := range protocols {
		g.supportedProtocols[p.Name]++
	}
	m.Protocols = protocols
	if cb != nil && m.awaitingJoin == nil {
		g.numAwaitingJoin++
	} else if cb == nil && m.awaitingJoin != nil {
		g.numAwaitingJoin--
	}
	m.awaitingJoin = cb
}

func (g *GroupMetadata) maybeInvokeJoinCallback(m *MemberMetadata, r JoinResult) {
	if m.awaitingJoin != nil {
		m.awaitingJoin(r)
		m.awaitingJoin = nil
		g.numAwaitingJoin--
	}
}

func (g *GroupMetadata) maybeInvokeSyncCallback(m *MemberMetadata, r SyncResult) bool {
	if m.awaitingSync != nil {
		m.awaitingSync(r)
		m.awaitingSync = nil
		return true
	}
	return false
}

// maybeElectNewJoinedLeader replaces a leader that did not rejoin with a
// member that did; false when nobody rejoined.
func (g *GroupMetadata) maybeElectNewJoinedLeader() bool {
	if g.leaderID == nil {
		return false
	}
	cur := g.members[*g.leaderID]
	if cur == nil || cur.isAwaitingJoin() {
		return cur != nil
	}
	for _, m := range g.allMembers() {
		if m.isAwaitingJoin() {
			id := m.MemberID
			g.leaderID = &id
			return true
		}
	}
	return false
}

// initNextGeneration starts a new generation after a rebalance: with
// members it picks the protocol and awaits the assignment, without it
// forgets the protocol and becomes Empty.
func (g *GroupMetadata) initNextGeneration() {
	g.generationID++
	if len(g.members) > 0 {
		p := g.selectProtocol()
		g.protocolName = &p
		g.subscribedTopics = g.computeSubscribedTopics()
		g.transitionTo(CompletingRebalance)
	} else {
		// The protocol type stays: an Empty consumer group is still
		// listed as "consumer", and its offsets expire by the Empty
		// group's clock.
		g.protocolName = nil
		g.subscribedTopics = g.computeSubscribedTopics()
		g.transitionTo(Empty)
	}
}

// computeSubscribedTopics decodes consumers' subscriptions; nil when they
// cannot be known (other protocol types, undecodable metadata).
func (g *GroupMetadata) computeSubscribedTopics() map[string]bool {
	if g.protocolType == nil || *g.protocolType != ConsumerProtocolType {
		return nil
	}
	if len(g.members) == 0 {
		return map[string]bool{}
	}
	if g.protocolName == nil {
		return nil
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		var sub kmsg.ConsumerMemberMetadata
		if err := sub.ReadFrom(m.metadata(*g.protocolName)); err != nil {
			return nil
		}
		for _, t := range sub.Topics {
			topics[t] = true
		}
	}
	return topics
}

func (g *GroupMetadata) isSubscribedToTopic(topic string) bool {
	if g.subscribedTopics == nil {
		return true
	}
	return g.subscribedTopics[topic]
}

func (g *GroupMetadata) currentMemberMetadata() []JoinMember {
	out := make([]JoinMember, 0, len(g.members))
	for _, m := range g.allMembers() {
		out = append(out, JoinMember{MemberID: m.MemberID, GroupInstanceID: m.GroupInstanceID, Metadata: m.metadata(*g.protocolName)})
	}
	return out
}

// Offsets.

func (g *GroupMetadata) hasOffsets() bool {
	return len(g.offsets) > 0 || len(g.pendingOffsetCommits) > 0 || len(g.pendingTxnOffsets) > 0
}

func (g *GroupMetadata) offset(tp TopicPartition) (OffsetAndMetadata, bool) {
	c, ok := g.offsets[tp]
	return c.om, ok
}

func (g *GroupMetadata) allOffsets() map[TopicPartition]OffsetAndMetadata {
	out := make(map[TopicPartition]OffsetAndMetadata, len(g.offsets))
	for tp, c := range g.offsets {
		out[tp] = c.om
	}
	return out
}

func (g *GroupMetadata) prepareOffsetCommit(offsets map[TopicPartition]OffsetAndMetadata) {
	g.receivedConsumerOffsetCommits = true
	for tp, om := range offsets {
		g.pendingOffsetCommits[tp] = om
	}
}

func (g *GroupMetadata) onOffsetCommitAppend(tp TopicPartition, c commitRecord) {
	if p, ok := g.pendingOffsetCommits[tp]; ok && p == c.om {
		delete(g.pendingOffsetCommits, tp)
	}
	if old, ok := g.offsets[tp]; !ok || old.appendedBatchOffset <= c.appendedBatchOffset {
		g.offsets[tp] = c
	}
}

func (g *GroupMetadata) failPendingOffsetWrite(tp TopicPartition, om OffsetAndMetadata) {
	if p, ok := g.pendingOffsetCommits[tp]; ok && p == om {
		delete(g.pendingOffsetCommits, tp)
	}
}

// removeOffsets drops the committed offsets of tps together with any
// commit still pending for them, transactional ones included (as Kafka's
// GroupMetadata.removeOffsets). It returns the partitions to write
// tombstones for: those with a committed offset, and those that only had a
// pending transactional commit, whose record is in the log and must not
// come back when the partition is loaded again.
func (g *GroupMetadata) removeOffsets(tps []TopicPartition) map[TopicPartition]OffsetAndMetadata {
	out := map[TopicPartition]OffsetAndMetadata{}
	for _, tp := range tps {
		delete(g.pendingOffsetCommits, tp)
		for pid, pend := range g.pendingTxnOffsets {
			if c, ok := pend[tp]; ok {
				out[tp] = c.om
				delete(pend, tp)
				if len(pend) == 0 {
					delete(g.pendingTxnOffsets, pid)
				}
			}
		}
		if c, ok := g.offsets[tp]; ok {
			out[tp] = c.om
			delete(g.offsets, tp)
		}
	}
	return out
}

// removeAllOffsets drops every offset of a group being deleted, pending
// transactional ones included.
func (g *GroupMetadata) removeAllOffsets() map[TopicPartition]OffsetAndMetadata {
	seen := map[TopicPartition]bool{}
	tps := make([]TopicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		seen[tp] = true
		tps = append(tps, tp)
	}
	for _, pend := range g.pendingTxnOffsets {
		for tp := range pend {
			if !seen[tp] {
				seen[tp] = true
				tps = append(tps, tp)
			}
		}
	}
	return g.removeOffsets(tps)
}

// removeExpiredOffsets drops offsets whose retention has passed, the way
// Kafka 2.1+ does: for an Empty group counted from when it became Empty;
// for a live consumer group only offsets of topics nobody subscribes to,
// counted from their commit; for a group that only stores offsets, from
// each commit. An explicit expire timestamp (old clients) wins.
func (g *GroupMetadata) removeExpiredOffsets(now, retentionMs int64) map[TopicPartition]OffsetAndMetadata {
	expired := func(base func(commitRecord) int64, subscribed map[string]bool) []TopicPartition {
		var out []TopicPartition
		for tp, c := range g.offsets {
			if subscribed[tp.Topic] {
				continue
			}
			if g.hasPendingOffsetCommitsFor(tp) {
				// A commit on its way (or a transaction not yet
				// decided) keeps the partition's offset.
				continue
			}
			if c.om.ExpireTimestamp >= 0 {
				if now >= c.om.ExpireTimestamp {
					out = append(out, tp)
				}
			} else if now-base(c) >= retentionMs {
				out = append(out, tp)
			}
		}
		return out
	}
	byCommit := func(c commitRecord) int64 { return c.om.CommitTimestamp }
	var tps []TopicPartition
	switch {
	case g.protocolType != nil && g.is(Empty):
		tps = expired(func(c commitRecord) int64 {
			if g.currentStateTimestamp >= 0 {
				return g.currentStateTimestamp
			}
			return c.om.CommitTimestamp
		}, nil)
	case g.protocolType != nil && *g.protocolType == ConsumerProtocolType && g.subscribedTopics != nil:
		tps = expired(byCommit, g.subscribedTopics)
	case g.protocolType == nil:
		tps = expired(byCommit, nil)
	}
	return g.removeOffsets(tps)
}

// record builds the group metadata value for the given assignment.
func (g *GroupMetadata) record(assignment map[string][]byte) GroupRecord {
	r := GroupRecord{
		Generation: g.generationID, Protocol: g.protocolName, Leader: g.leaderID,
		CurrentStateTimestamp: g.currentStateTimestamp,
	}
	if g.protocolType != nil {
		r.ProtocolType = *g.protocolType
	}
	for _, m := range g.allMembers() {
		var sub []byte
		if g.protocolName != nil {
			sub = m.metadata(*g.protocolName)
		}
		r.Members = append(r.Members, MemberRecord{
			MemberID: m.MemberID, GroupInstanceID: m.GroupInstanceID, ClientID: m.ClientID, ClientHost: m.ClientHost,
			RebalanceTimeoutMs: m.RebalanceTimeoutMs, SessionTimeoutMs: m.SessionTimeoutMs,
			Subscription: sub, Assignment: assignment[m.MemberID],
		})
	}
	return r
}

// loadGroup rebuilds a group from its stored record: Stable with members,
// Empty without.
func loadGroup(id string, r GroupRecord) *GroupMetadata {
	state := Empty
	if len(r.Members) > 0 {
		state = Stable
	}
	g := newGroup(id, state, r.CurrentStateTimestamp)
	g.generationID = r.Generation
	if r.ProtocolType != "" {
		pt := r.ProtocolType
		g.protocolType = &pt
	}
	g.protocolName = r.Protocol
	g.leaderID = r.Leader
	for _, mr := range r.Members {
		m := &MemberMetadata{
			MemberID: mr.MemberID, GroupInstanceID: mr.GroupInstanceID, ClientID: mr.ClientID, ClientHost: mr.ClientHost,
			RebalanceTimeoutMs: mr.RebalanceTimeoutMs, SessionTimeoutMs: mr.SessionTimeoutMs, ProtocolType: r.ProtocolType,
			Assignment: mr.Assignment,
		}
		if r.Protocol != nil {
			m.Protocols = []Protocol{{Name: *r.Protocol, Metadata: mr.Subscription}}
		}
		g.add(m, nil)
		if m.GroupInstanceID != nil {
			g.staticMembers[*m.GroupInstanceID] = m.MemberID
		}
	}
	g.subscribedTopics = g.computeSubscribedTopics()
	return g
}

// Summary is a group as DescribeGroups reports it.
type Summary struct {
	State        string
	ProtocolType string
	Protocol     string
	Members      []MemberSummary
}

// MemberSummary is one member in DescribeGroups.
type MemberSummary struct {
	MemberID        string
	GroupInstanceID *string
	ClientID        string
	ClientHost      string
	Metadata        []byte
	Assignment      []byte
}

func (g *GroupMetadata) summary() Summary {
	s := Summary{State: g.state.String()}
	if g.protocolType != nil {
		s.ProtocolType = *g.protocolType
	}
	stable := g.is(Stable) && g.protocolName != nil
	if stable {
		s.Protocol = *g.protocolName
	}
	for _, m := range g.allMembers() {
		ms := MemberSummary{MemberID: m.MemberID, GroupInstanceID: m.GroupInstanceID, ClientID: m.ClientID, ClientHost: m.ClientHost,
			Metadata: []byte{}, Assignment: []byte{}}
		if stable {
			ms.Metadata, ms.Assignment = m.metadata(*g.protocolName), m.Assignment
		}
		s.Members = append(s.Members, ms)
	}
	return s
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }

func joinNames(s []string) string { return strings.Join(s, ", ") }

func sortedTopicPartitions(m map[TopicPartition]OffsetAndMetadata) []TopicPartition {
	out := make([]TopicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
