package group

import (
	"sync/atomic"
	"time"
)

// JoinRequest is a decoded JoinGroup request.
type JoinRequest struct {
	GroupID         string
	MemberID        string
	GroupInstanceID *string
	// RequireKnownMemberID is set for JoinGroup v4+ without an instance
	// id: an unknown member first gets MEMBER_ID_REQUIRED and its id.
	RequireKnownMemberID bool
	ClientID             string
	ClientHost           string
	RebalanceTimeoutMs   int32
	SessionTimeoutMs     int32
	ProtocolType         string
	Protocols            []Protocol
}

func joinError(memberID string, code int16) JoinResult {
	return JoinResult{MemberID: memberID, GenerationID: -1, Error: code}
}

// HandleJoinGroup adds or updates a member and waits until the rebalance
// it takes part in completes (or fails). Closing abort (broker shutdown)
// ends the wait.
func (c *GroupCoordinator) HandleJoinGroup(req JoinRequest, abort <-chan struct{}) JoinResult {
	ch := make(chan JoinResult, 1)
	c.handleJoinGroup(req, func(r JoinResult) {
		select {
		case ch <- r:
		default:
		}
	})
	select {
	case r := <-ch:
		return r
	case <-c.done:
	case <-abort:
	}
	return joinError(req.MemberID, errCoordinatorNotAvailable)
}

func (c *GroupCoordinator) handleJoinGroup(req JoinRequest, cb func(JoinResult)) {
	if code := c.validateGroupStatus(req.GroupID, apiJoin); code != errNone {
		cb(joinError(req.MemberID, code))
		return
	}
	if req.SessionTimeoutMs < c.cfg.GroupMinSessionTimeoutMs || req.SessionTimeoutMs > c.cfg.GroupMaxSessionTimeoutMs {
		cb(joinError(req.MemberID, errInvalidSessionTimeout))
		return
	}
	isUnknown := req.MemberID == ""
	g := c.getOrMaybeCreateGroup(req.GroupID, isUnknown)
	if g == nil {
		cb(joinError(req.MemberID, errUnknownMemberID))
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case !c.acceptJoiningMember(g, req.MemberID):
		if m := g.get(req.MemberID); m != nil {
			c.removeHeartbeatForLeavingMember(g, m)
			g.remove(req.MemberID)
		}
		if req.GroupInstanceID != nil {
			delete(g.staticMembers, *req.GroupInstanceID)
		}
		cb(joinError("", errGroupMaxSizeReached))
	case isUnknown:
		c.doUnknownJoinGroup(g, req, cb)
	default:
		c.doJoinGroup(g, req, cb)
	}
	if g.is(PreparingRebalance) {
		c.checkAndCompleteJoin(g)
	}
}

// acceptJoiningMember enforces group.max.size: members already in the
// group (or already waiting in this rebalance) may always rejoin.
func (c *GroupCoordinator) acceptJoiningMember(g *GroupMetadata, memberID string) bool {
	switch g.state {
	case Empty, Dead:
		return true
	case PreparingRebalance:
		if m := g.get(memberID); m != nil && m.isAwaitingJoin() {
			return true
		}
		return g.numAwaitingJoin < c.cfg.GroupMaxSize
	default:
		return g.has(memberID) || g.size() < c.cfg.GroupMaxSize
	}
}

func (c *GroupCoordinator) doUnknownJoinGroup(g *GroupMetadata, req JoinRequest, cb func(JoinResult)) {
	switch {
	case g.is(Dead):
		cb(joinError("", errCoordinatorNotAvailable))
	case !g.supportsProtocols(req.ProtocolType, req.Protocols):
		cb(joinError("", errInconsistentGroupProtocol))
	default:
		newID := newMemberID(req.ClientID, req.GroupInstanceID)
		switch {
		case g.hasStaticMember(req.GroupInstanceID):
			c.updateStaticMemberAndRebalance(g, newID, req, cb)
		case req.RequireKnownMemberID && len(g.pendingMembers)+g.size() >= c.cfg.GroupMaxSize:
			// Ids handed out but not yet used count against
			// group.max.size, so a flood of joins cannot grow the
			// group's memory without bound.
			cb(joinError("", errGroupMaxSizeReached))
		case req.RequireKnownMemberID:
			seq := c.nextSeq()
			g.pendingMembers[newID] = seq
			c.addPendingMemberExpiration(g, newID, seq, req.SessionTimeoutMs)
			cb(joinError(newID, errMemberIDRequired))
		default:
			kind := "Dynamic"
			if req.GroupInstanceID != nil {
				kind = "Static"
			}
			c.infof("%s Member with unknown member id joins group %s in %s state. Created a new member id %s for this member and add to the group.",
				kind, g.groupID, g.state, newID)
			c.addMemberAndRebalance(g, newID, req, cb)
		}
	}
}

func (c *GroupCoordinator) doJoinGroup(g *GroupMetadata, req JoinRequest, cb func(JoinResult)) {
	id := req.MemberID
	switch {
	case g.is(Dead):
		cb(joinError(id, errCoordinatorNotAvailable))
		return
	case !g.supportsProtocols(req.ProtocolType, req.Protocols):
		cb(joinError(id, errInconsistentGroupProtocol))
		return
	case g.isPendingMember(id):
		if req.GroupInstanceID != nil {
			// A pending member is never static; answer as Kafka's
			// assertion would, without corrupting the group.
			cb(joinError(id, errUnknownServer))
			return
		}
		c.addMemberAndRebalance(g, id, req, cb)
		return
	}
	if g.isStaticMemberFenced(id, req.GroupInstanceID) {
		c.errorf("given member.id %s is identified as a known static member %s, but not matching the expected member.id %s during join-group, will respond with instance fenced error",
			id, *req.GroupInstanceID, g.staticMemberID(req.GroupInstanceID))
		cb(joinError(id, errFencedInstanceID))
		return
	}
	if !g.has(id) || (req.GroupInstanceID != nil && !g.hasStaticMember(req.GroupInstanceID)) {
		cb(joinError(id, errUnknownMemberID))
		return
	}
	m := g.get(id)
	switch g.state {
	case PreparingRebalance:
		c.updateMemberAndRebalance(g, m, req.Protocols, "Member "+id+" joining group during "+g.state.String(), cb)
	case CompletingRebalance:
		if m.matches(req.Protocols) {
			// The member missed its JoinGroup answer; repeat it.
			cb(c.joinResultFor(g, id))
		} else {
			c.updateMemberAndRebalance(g, m, req.Protocols, "Updating metadata for member "+id+" during "+g.state.String(), cb)
		}
	case Stable:
		switch {
		case g.isLeader(id):
			// A leader's JoinGroup forces a rebalance, so that it can react
			// to changes the member metadata does not show (new partitions).
			c.updateMemberAndRebalance(g, m, req.Protocols, "leader "+id+" re-joining group during "+g.state.String(), cb)
		case !m.matches(req.Protocols):
			c.updateMemberAndRebalance(g, m, req.Protocols, "Updating metadata for member "+id+" during "+g.state.String(), cb)
		default:
			r := c.joinResultFor(g, id)
			r.Members = nil
			cb(r)
		}
	default:
		c.warnf("Attempt to add rejoining member %s of group %s in unexpected group state %s", id, g.groupID, g.state)
		cb(joinError(id, errUnknownMemberID))
	}
}

func (c *GroupCoordinator) joinResultFor(g *GroupMetadata, memberID string) JoinResult {
	r := JoinResult{MemberID: memberID, GenerationID: g.generationID, ProtocolType: g.protocolType, ProtocolName: g.protocolName, LeaderID: g.leaderOrEmpty()}
	if g.isLeader(memberID) && g.protocolName != nil {
		r.Members = g.currentMemberMetadata()
	}
	return r
}

func (c *GroupCoordinator) addMemberAndRebalance(g *GroupMetadata, memberID string, req JoinRequest, cb func(JoinResult)) {
	m := &MemberMetadata{
		MemberID: memberID, GroupInstanceID: req.GroupInstanceID, ClientID: req.ClientID, ClientHost: req.ClientHost,
		RebalanceTimeoutMs: req.RebalanceTimeoutMs, SessionTimeoutMs: req.SessionTimeoutMs,
		ProtocolType: req.ProtocolType, Protocols: req.Protocols, isNew: true,
	}
	// The initial delay of a new group is extended while members keep
	// arriving.
	if g.is(PreparingRebalance) && g.generationID == 0 {
		g.newMemberAdded = true
	}
	g.add(m, cb)
	c.completeAndScheduleNextHeartbeatExpiration(g, m, newMemberJoinTimeoutMs)
	if m.isStatic() {
		g.staticMembers[*m.GroupInstanceID] = memberID
	} else {
		g.removePendingMember(memberID)
	}
	c.maybePrepareRebalance(g, "Adding new member "+memberID+" with group instance id "+optString(req.GroupInstanceID))
}

func (c *GroupCoordinator) updateMemberAndRebalance(g *GroupMetadata, m *MemberMetadata, protocols []Protocol, reason string, cb func(JoinResult)) {
	g.updateMember(m, protocols, cb)
	c.maybePrepareRebalance(g, reason)
}

// updateStaticMemberAndRebalance handles a known group.instance.id that
// rejoins without its member id (a restarted static member): it takes over
// the old member's place under a new id, and a Stable group does not
// rebalance unless the protocol choice would change.
func (c *GroupCoordinator) updateStaticMemberAndRebalance(g *GroupMetadata, newID string, req JoinRequest, cb func(JoinResult)) {
	oldID := g.staticMemberID(req.GroupInstanceID)
	c.infof("Static member %s of group %s with unknown member id rejoins, assigning new member id %s, while old member id %s will be removed.",
		optString(req.GroupInstanceID), g.groupID, newID, oldID)
	currentLeader := g.leaderOrEmpty()
	m := g.replaceGroupInstance(oldID, newID, req.GroupInstanceID)
	c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
	oldProtocols := m.Protocols
	g.updateMember(m, req.Protocols, cb)
	switch g.state {
	case Stable:
		if g.protocolName != nil && *g.protocolName == g.selectProtocol() {
			c.infof("Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.")
			assignment := map[string][]byte{}
			for _, mm := range g.allMembers() {
				assignment[mm.MemberID] = mm.Assignment
			}
			wait := c.storeGroup(g, assignment)
			gen := g.generationID
			go func() {
				code := wait()
				g.mu.Lock()
				defer g.mu.Unlock()
				if code != errNone {
					c.warnf("Failed to persist metadata for group %s: %s", g.groupID, errorMessage(code))
					if g.get(newID) == m {
						g.updateMember(m, oldProtocols, nil)
						old := g.replaceGroupInstance(newID, oldID, req.GroupInstanceID)
						c.completeAndScheduleNextHeartbeatExpiration(g, old, old.SessionTimeoutMs)
					}
					cb(joinError("", code))
					return
				}
				g.maybeInvokeJoinCallback(m, JoinResult{MemberID: newID, GenerationID: gen, ProtocolType: g.protocolType,
					ProtocolName: g.protocolName, LeaderID: currentLeader})
			}()
		} else {
			c.maybePrepareRebalance(g, "Group's selectedProtocol will change because static member "+newID+
				" with instance id "+optString(req.GroupInstanceID)+" joined with change of protocol")
		}
	case CompletingRebalance:
		c.maybePrepareRebalance(g, "Updating metadata for static member "+newID+" with instance id "+optString(req.GroupInstanceID))
	case PreparingRebalance:
		// The member is simply part of the rebalance in progress.
	}
}

func (c *GroupCoordinator) maybePrepareRebalance(g *GroupMetadata, reason string) {
	if g.canRebalance() {
		c.prepareRebalance(g, reason)
	}
}

func (c *GroupCoordinator) prepareRebalance(g *GroupMetadata, reason string) {
	if g.is(CompletingRebalance) {
		c.resetAndPropagateAssignmentError(g, errRebalanceInProgress)
	}
	var dj *delayedJoin
	if g.is(Empty) {
		delay := int64(c.cfg.GroupInitialRebalanceDelayMs)
		dj = &delayedJoin{initial: true, delayMs: delay, remainingMs: max(int64(g.rebalanceTimeoutMs())-delay, 0)}
	} else {
		dj = &delayedJoin{delayMs: int64(g.rebalanceTimeoutMs())}
	}
	g.transitionTo(PreparingRebalance)
	c.infof("Preparing to rebalance group %s in state %s with old generation %d (%s) (reason: %s)",
		g.groupID, g.state, g.generationID, c.partitionName(g.groupID), reason)
	c.watchJoin(g, dj)
}

// onCompleteJoin ends the join phase: members that did not rejoin are
// dropped, the next generation starts, and every waiting member gets its
// JoinGroup answer (the leader with everybody's metadata).
func (c *GroupCoordinator) onCompleteJoin(g *GroupMetadata) {
	for _, m := range g.notYetRejoinedMembers() {
		if m.isStatic() {
			continue
		}
		c.removeHeartbeatForLeavingMember(g, m)
		g.remove(m.MemberID)
	}
	switch {
	case g.is(Dead):
		c.infof("Group %s is dead, skipping rebalance stage", g.groupID)
	case !g.maybeElectNewJoinedLeader() && g.size() > 0:
		c.errorf("Group %s could not complete rebalance because no members rejoined", g.groupID)
		c.watchJoin(g, &delayedJoin{delayMs: int64(g.rebalanceTimeoutMs())})
	default:
		g.initNextGeneration()
		if g.is(Empty) {
			c.infof("Group %s with generation %d is now empty (%s)", g.groupID, g.generationID, c.partitionName(g.groupID))
			wait := c.storeGroup(g, map[string][]byte{})
			go func() {
				if code := wait(); code != errNone {
					c.warnf("Failed to write empty metadata for group %s: %s", g.groupID, errorMessage(code))
				}
			}()
			return
		}
		c.infof("Stabilized group %s generation %d (%s)", g.groupID, g.generationID, c.partitionName(g.groupID))
		for _, m := range g.allMembers() {
			g.maybeInvokeJoinCallback(m, c.joinResultFor(g, m.MemberID))
			c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
			m.isNew = false
		}
	}
}

// SyncRequest is a decoded SyncGroup request.
type SyncRequest struct {
	GroupID         string
	GenerationID    int32
	MemberID        string
	ProtocolType    *string
	ProtocolName    *string
	GroupInstanceID *string
	Assignments     map[string][]byte
}

// HandleSyncGroup returns the member's assignment once the leader has
// sent it (and it is stored), or an error when abort closes first.
func (c *GroupCoordinator) HandleSyncGroup(req SyncRequest, abort <-chan struct{}) SyncResult {
	ch := make(chan SyncResult, 1)
	c.handleSyncGroup(req, func(r SyncResult) {
		select {
		case ch <- r:
		default:
		}
	})
	select {
	case r := <-ch:
		return r
	case <-c.done:
	case <-abort:
	}
	return SyncResult{Error: errCoordinatorNotAvailable}
}

func (c *GroupCoordinator) handleSyncGroup(req SyncRequest, cb func(SyncResult)) {
	if code := c.validateGroupStatus(req.GroupID, apiSync); code != errNone {
		// A loading coordinator lost the rebalance in progress: the member
		// must rejoin, which REBALANCE_IN_PROGRESS makes it do.
		if code == errLoadInProgress {
			code = errRebalanceInProgress
		}
		cb(SyncResult{Error: code})
		return
	}
	g := c.getGroup(req.GroupID)
	if g == nil {
		cb(SyncResult{Error: errUnknownMemberID})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.is(Dead):
		cb(SyncResult{Error: errCoordinatorNotAvailable})
	case g.isStaticMemberFenced(req.MemberID, req.GroupInstanceID):
		cb(SyncResult{Error: errFencedInstanceID})
	case !g.has(req.MemberID):
		cb(SyncResult{Error: errUnknownMemberID})
	case req.GenerationID != g.generationID:
		cb(SyncResult{Error: errIllegalGeneration})
	case req.ProtocolType != nil && (g.protocolType == nil || *g.protocolType != *req.ProtocolType):
		cb(SyncResult{Error: errInconsistentGroupProtocol})
	case req.ProtocolName != nil && (g.protocolName == nil || *g.protocolName != *req.ProtocolName):
		cb(SyncResult{Error: errInconsistentGroupProtocol})
	default:
		switch g.state {
		case Empty:
			cb(SyncResult{Error: errUnknownMemberID})
		case PreparingRebalance:
			cb(SyncResult{Error: errRebalanceInProgress})
		case CompletingRebalance:
			g.get(req.MemberID).awaitingSync = cb
			if g.isLeader(req.MemberID) {
				c.completeLeaderSync(g, req)
			}
		case Stable:
			m := g.get(req.MemberID)
			cb(SyncResult{ProtocolType: g.protocolType, ProtocolName: g.protocolName, Assignment: m.Assignment})
			c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
		}
	}
}

// completeLeaderSync stores the leader's assignment and hands it out. The
// wait for the replicas happens without the group lock; the caller holds
// it on entry and exit.
func (c *GroupCoordinator) completeLeaderSync(g *GroupMetadata, req SyncRequest) {
	c.infof("Assignment received from leader for group %s for generation %d", g.groupID, g.generationID)
	assignment := map[string][]byte{}
	var missing []string
	for _, m := range g.allMembers() {
		a, ok := req.Assignments[m.MemberID]
		if !ok {
			missing = append(missing, m.MemberID)
			a = []byte{}
		}
		assignment[m.MemberID] = a
	}
	if len(missing) > 0 {
		c.warnf("Setting empty assignments for members %v of %s for generation %d", missing, g.groupID, g.generationID)
	}
	gen := g.generationID
	wait := c.storeGroup(g, assignment)
	g.mu.Unlock()
	code := wait()
	g.mu.Lock()
	if !g.is(CompletingRebalance) || g.generationID != gen {
		return
	}
	if code != errNone {
		c.resetAndPropagateAssignmentError(g, code)
		c.maybePrepareRebalance(g, "error when storing group assignment during SyncGroup (member: "+req.MemberID+")")
		return
	}
	c.setAndPropagateAssignment(g, assignment)
	g.transitionTo(Stable)
}

func (c *GroupCoordinator) setAndPropagateAssignment(g *GroupMetadata, assignment map[string][]byte) {
	for _, m := range g.allMembers() {
		m.Assignment = assignment[m.MemberID]
	}
	c.propagateAssignment(g, errNone)
}

func (c *GroupCoordinator) resetAndPropagateAssignmentError(g *GroupMetadata, code int16) {
	for _, m := range g.allMembers() {
		m.Assignment = []byte{}
	}
	c.propagateAssignment(g, code)
}

// propagateAssignment answers every waiting SyncGroup and restarts every
// member's session timer: an expiry that fired while members waited for
// the assignment scheduled nothing after it.
func (c *GroupCoordinator) propagateAssignment(g *GroupMetadata, code int16) {
	for _, m := range g.allMembers() {
		r := SyncResult{Error: code, Assignment: m.Assignment}
		if code == errNone {
			r.ProtocolType, r.ProtocolName = g.protocolType, g.protocolName
		}
		g.maybeInvokeSyncCallback(m, r)
		c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
	}
}

// HandleHeartbeat keeps a member alive and tells it about rebalances.
func (c *GroupCoordinator) HandleHeartbeat(groupID, memberID string, instanceID *string, generation int32) int16 {
	if code := c.validateGroupStatus(groupID, apiHeartbeat); code != errNone {
		if code == errLoadInProgress {
			// The group is being loaded: let the member carry on.
			return errNone
		}
		return code
	}
	g := c.getGroup(groupID)
	if g == nil {
		return errUnknownMemberID
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.is(Dead):
		return errCoordinatorNotAvailable
	case g.isStaticMemberFenced(memberID, instanceID):
		return errFencedInstanceID
	case !g.has(memberID):
		return errUnknownMemberID
	case generation != g.generationID:
		return errIllegalGeneration
	}
	m := g.get(memberID)
	switch g.state {
	case Empty:
		return errUnknownMemberID
	case CompletingRebalance, Stable:
		c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
		return errNone
	case PreparingRebalance:
		c.completeAndScheduleNextHeartbeatExpiration(g, m, m.SessionTimeoutMs)
		return errRebalanceInProgress
	}
	return errUnknownServer
}

// LeavingMember is one member of a LeaveGroup request.
type LeavingMember struct {
	MemberID        string
	GroupInstanceID *string
}

// HandleLeaveGroup removes members; it returns the request's error and
// one error per member.
func (c *GroupCoordinator) HandleLeaveGroup(groupID string, leaving []LeavingMember) (int16, []int16) {
	if code := c.validateGroupStatus(groupID, apiLeave); code != errNone {
		return code, nil
	}
	out := make([]int16, len(leaving))
	g := c.getGroup(groupID)
	if g == nil {
		for i := range out {
			out[i] = errUnknownMemberID
		}
		return errNone, out
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.is(Dead) {
		return errCoordinatorNotAvailable, nil
	}
	for i, lm := range leaving {
		out[i] = c.leaveOne(g, lm)
	}
	return errNone, out
}

func (c *GroupCoordinator) leaveOne(g *GroupMetadata, lm LeavingMember) int16 {
	id := lm.MemberID
	switch {
	case id != "" && g.isStaticMemberFenced(id, lm.GroupInstanceID):
		return errFencedInstanceID
	case g.isPendingMember(id):
		if lm.GroupInstanceID != nil {
			return errUnknownServer
		}
		c.infof("Pending member %s has left group %s through explicit `LeaveGroup` request", id, g.groupID)
		c.removePendingMemberAndUpdateGroup(g, id)
		return errNone
	case !g.has(id) && !g.hasStaticMember(lm.GroupInstanceID):
		return errUnknownMemberID
	}
	m := g.get(id)
	if g.hasStaticMember(lm.GroupInstanceID) {
		m = g.get(g.staticMemberID(lm.GroupInstanceID))
	}
	c.removeHeartbeatForLeavingMember(g, m)
	c.infof("Member[group.instance.id %s, member.id %s] in group %s has left, removing it from the group",
		optString(m.GroupInstanceID), m.MemberID, g.groupID)
	c.removeMemberAndUpdateGroup(g, m, "removing member "+m.MemberID+" on LeaveGroup")
	return errNone
}

func (c *GroupCoordinator) removeMemberAndUpdateGroup(g *GroupMetadata, m *MemberMetadata, reason string) {
	// A member still waiting in JoinGroup learns that it is gone.
	g.maybeInvokeJoinCallback(m, joinError(m.MemberID, errUnknownMemberID))
	g.remove(m.MemberID)
	switch g.state {
	case Stable, CompletingRebalance:
		c.maybePrepareRebalance(g, reason)
	case PreparingRebalance:
		c.checkAndCompleteJoin(g)
	}
}

func (c *GroupCoordinator) removePendingMemberAndUpdateGroup(g *GroupMetadata, id string) {
	g.removePendingMember(id)
	if g.is(PreparingRebalance) {
		c.checkAndCompleteJoin(g)
	}
}

// Timers: the join purgatory and the heartbeat purgatory.

// delayedJoin is the pending end of a group's join phase: a rebalance
// timeout, or the initial delay of a new group, which only ends by time
// and is extended while members keep joining.
type delayedJoin struct {
	initial     bool
	delayMs     int64
	remainingMs int64
	timer       *time.Timer
}

func (c *GroupCoordinator) watchJoin(g *GroupMetadata, dj *delayedJoin) {
	if g.join != nil && g.join.timer != nil {
		g.join.timer.Stop()
	}
	g.join = dj
	if !dj.initial && g.hasAllMembersJoined() {
		g.join = nil
		c.onCompleteJoin(g)
		return
	}
	dj.timer = time.AfterFunc(time.Duration(dj.delayMs)*time.Millisecond, func() { c.onJoinTimer(g, dj) })
}

func (c *GroupCoordinator) onJoinTimer(g *GroupMetadata, dj *delayedJoin) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.join != dj {
		return
	}
	g.join = nil
	if dj.initial && g.newMemberAdded && dj.remainingMs != 0 {
		g.newMemberAdded = false
		delay := min(int64(c.cfg.GroupInitialRebalanceDelayMs), dj.remainingMs)
		remaining := max(dj.remainingMs-dj.delayMs, 0)
		c.watchJoin(g, &delayedJoin{initial: true, delayMs: delay, remainingMs: remaining})
		return
	}
	c.onCompleteJoin(g)
}

// checkAndCompleteJoin ends the join phase early once every member has
// rejoined (never during a new group's initial delay).
func (c *GroupCoordinator) checkAndCompleteJoin(g *GroupMetadata) {
	dj := g.join
	if dj == nil || dj.initial || !g.hasAllMembersJoined() {
		return
	}
	dj.timer.Stop()
	g.join = nil
	c.onCompleteJoin(g)
}

var seqCounter atomic.Uint64

func (c *GroupCoordinator) nextSeq() uint64 { return seqCounter.Add(1) }

// completeAndScheduleNextHeartbeatExpiration counts as a heartbeat and
// sets the member's next deadline.
func (c *GroupCoordinator) completeAndScheduleNextHeartbeatExpiration(g *GroupMetadata, m *MemberMetadata, timeoutMs int32) {
	m.heartbeatSatisfied = false
	m.isLeaving = false
	if m.hbTimer != nil {
		m.hbTimer.Stop()
	}
	seq := c.nextSeq()
	m.hbSeq = seq
	m.hbTimer = time.AfterFunc(time.Duration(timeoutMs)*time.Millisecond, func() { c.onExpireHeartbeat(g, m, seq) })
}

func (c *GroupCoordinator) removeHeartbeatForLeavingMember(g *GroupMetadata, m *MemberMetadata) {
	m.isLeaving = true
	m.hbSeq = c.nextSeq()
	if m.hbTimer != nil {
		m.hbTimer.Stop()
	}
}

func (c *GroupCoordinator) onExpireHeartbeat(g *GroupMetadata, m *MemberMetadata, seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m.hbSeq != seq {
		return
	}
	switch {
	case g.is(Dead):
		c.infof("Received notification of heartbeat expiration for member %s after group %s had already been unloaded or deleted.", m.MemberID, g.groupID)
	case g.get(m.MemberID) != m:
	case !m.hasSatisfiedHeartbeat():
		c.infof("Member %s in group %s has failed, removing it from the group", m.MemberID, g.groupID)
		c.removeMemberAndUpdateGroup(g, m, "removing member "+m.MemberID+" on heartbeat expiration")
	}
}

func (c *GroupCoordinator) addPendingMemberExpiration(g *GroupMetadata, id string, seq uint64, timeoutMs int32) {
	time.AfterFunc(time.Duration(timeoutMs)*time.Millisecond, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if s, ok := g.pendingMembers[id]; !ok || s != seq {
			return
		}
		if g.is(Dead) {
			return
		}
		c.infof("Pending member %s in group %s has been removed after session timeout expiration.", id, g.groupID)
		c.removePendingMemberAndUpdateGroup(g, id)
	})
}

// stopTimers cancels a group's join and heartbeat timers (unload, shutdown).
func (c *GroupCoordinator) stopTimers(g *GroupMetadata) {
	if g.join != nil && g.join.timer != nil {
		g.join.timer.Stop()
	}
	g.join = nil
	for _, m := range g.members {
		m.hbSeq = c.nextSeq()
		if m.hbTimer != nil {
			m.hbTimer.Stop()
		}
	}
	for id := range g.pendingMembers {
		g.pendingMembers[id] = 0
	}
}
