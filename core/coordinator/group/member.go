package group

import "time"

// Protocol is one assignment protocol a member supports, with the
// member's metadata for it (for consumers, the serialized subscription).
type Protocol struct {
	Name     string
	Metadata []byte
}

// JoinResult is what a JoinGroup request receives.
type JoinResult struct {
	Members      []JoinMember // only for the leader
	MemberID     string
	GenerationID int32
	ProtocolType *string
	ProtocolName *string
	LeaderID     string
	Error        int16
}

// JoinMember is one member as the leader sees it in its JoinGroup answer.
type JoinMember struct {
	MemberID        string
	GroupInstanceID *string
	Metadata        []byte
}

// SyncResult is what a SyncGroup request receives.
type SyncResult struct {
	ProtocolType *string
	ProtocolName *string
	Assignment   []byte
	Error        int16
}

// MemberMetadata is one member of a group (Kafka's MemberMetadata).
type MemberMetadata struct {
	MemberID           string
	GroupInstanceID    *string
	ClientID           string
	ClientHost         string
	RebalanceTimeoutMs int32
	SessionTimeoutMs   int32
	ProtocolType       string
	Protocols          []Protocol
	Assignment         []byte

	awaitingJoin func(JoinResult)
	awaitingSync func(SyncResult)
	// isNew marks a member added in the current rebalance that has not
	// yet received its JoinGroup answer; its heartbeat deadline is the
	// long new-member timeout.
	isNew              bool
	heartbeatSatisfied bool
	isLeaving          bool

	// hbSeq identifies the current heartbeat deadline; an expired timer
	// whose sequence is stale does nothing.
	hbSeq   uint64
	hbTimer *time.Timer
}

func (m *MemberMetadata) isStatic() bool       { return m.GroupInstanceID != nil }
func (m *MemberMetadata) isAwaitingJoin() bool { return m.awaitingJoin != nil }
func (m *MemberMetadata) isAwaitingSync() bool { return m.awaitingSync != nil }
func (m *MemberMetadata) protocolNames() []string {
	out := make([]string, len(m.Protocols))
	for i, p := range m.Protocols {
		out[i] = p.Name
	}
	return out
}

// metadata returns the member's metadata for protocol, nil if unsupported.
func (m *MemberMetadata) metadata(protocol string) []byte {
	for _, p := range m.Protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// matches reports whether protocols equal the member's current ones
// (names and metadata, in order).
func (m *MemberMetadata) matches(protocols []Protocol) bool {
	if len(protocols) != len(m.Protocols) {
		return false
	}
	for i, p := range protocols {
		if p.Name != m.Protocols[i].Name || string(p.Metadata) != string(m.Protocols[i].Metadata) {
			return false
		}
	}
	return true
}

// vote returns the member's most preferred protocol among candidates.
func (m *MemberMetadata) vote(candidates map[string]bool) string {
	for _, p := range m.Protocols {
		if candidates[p.Name] {
			return p.Name
		}
	}
	return ""
}

// hasSatisfiedHeartbeat decides whether an expiring heartbeat deadline
// evicts the member: members waiting in a rebalance count as alive, except
// new members, which must complete their join in time.
func (m *MemberMetadata) hasSatisfiedHeartbeat() bool {
	if m.isNew {
		return m.heartbeatSatisfied
	}
	if m.isAwaitingJoin() || m.isAwaitingSync() {
		return true
	}
	return m.heartbeatSatisfied
}

func (m *MemberMetadata) String() string {
	inst := "None"
	if m.GroupInstanceID != nil {
		inst = "Some(" + *m.GroupInstanceID + ")"
	}
	return "MemberMetadata(memberId=" + m.MemberID + ", groupInstanceId=" + inst + ", clientId=" + m.ClientID +
		", clientHost=" + m.ClientHost + ", sessionTimeoutMs=" + itoa(m.SessionTimeoutMs) +
		", rebalanceTimeoutMs=" + itoa(m.RebalanceTimeoutMs) + ", supportedProtocols=List(" + joinNames(m.protocolNames()) + "))"
}
