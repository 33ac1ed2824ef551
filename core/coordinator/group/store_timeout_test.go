package group

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// leadWithSilentFollower makes this broker leader of the offsets partition
// with broker 1 in the ISR; broker 1 never fetches, so the high watermark
// never passes a write and every acks=all wait times out.
func (e *env) leadWithSilentFollower(epoch int32) {
	e.t.Helper()
	req := kmsg.NewPtrLeaderAndISRRequest()
	req.Version = 1
	req.ControllerEpoch = 1
	ps := kmsg.NewLeaderAndISRRequestTopicPartition()
	ps.Topic, ps.Partition, ps.ControllerEpoch, ps.Leader, ps.LeaderEpoch = OffsetsTopic, 0, 1, 0, epoch
	ps.ISR, ps.Replicas = []int32{0, 1}, []int32{0, 1}
	req.PartitionStates = append(req.PartitionStates, ps)
	e.rm.BecomeLeaderOrFollower(req)
	waitFor(e.t, "offsets partition loaded", func() bool {
		e.c.mu.Lock()
		defer e.c.mu.Unlock()
		return len(e.c.loading) == 0 && len(e.c.owned) == 1
	})
}

// A group metadata write that times out waiting for the ISR is answered
// REBALANCE_IN_PROGRESS (Kafka's GroupMetadataManager.storeGroup), an offset
// commit that times out REQUEST_TIMED_OUT (storeOffsets passes it through).
func TestStoreGroupTimeoutIsRebalanceInProgress(t *testing.T) {
	cfg := testConfig()
	cfg.OffsetsCommitTimeoutMs = 200
	e := startEnv(t, t.TempDir(), cfg)
	e.leadWithSilentFollower(1)

	j := e.c.HandleJoinGroup(joinReq("g", "", 10000, "t"), nil)
	if j.Error != 0 {
		t.Fatalf("join: %+v", j)
	}
	s := e.c.HandleSyncGroup(SyncRequest{GroupID: "g", GenerationID: j.GenerationID, MemberID: j.MemberID,
		Assignments: map[string][]byte{j.MemberID: []byte("A")}}, nil)
	if s.Error != errRebalanceInProgress {
		t.Fatalf("sync with a timed out group write: error %d, want REBALANCE_IN_PROGRESS (%d)", s.Error, errRebalanceInProgress)
	}
	if got := e.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state after the failed write %s, want PreparingRebalance", got)
	}

	tp := TopicPartition{Topic: "t", Partition: 0}
	res := e.c.HandleCommitOffsets("simple", "", nil, -1, map[TopicPartition]OffsetAndMetadata{tp: {Offset: 1, ExpireTimestamp: -1}})
	if res[tp] != kerrRequestTimedOut {
		t.Fatalf("commit with a timed out write: error %d, want REQUEST_TIMED_OUT (%d)", res[tp], kerrRequestTimedOut)
	}
}

func TestErrorMessageIsKafkas(t *testing.T) {
	for code, want := range map[int16]string{
		errCoordinatorNotAvailable: "The coordinator is not available.",
		errNotCoordinator:          "This is not the correct coordinator.",
		errRebalanceInProgress:     "The group is rebalancing, so a rejoin is needed.",
		errUnknownServer:           "The server experienced an unexpected error when processing the request.",
	} {
		if got := errorMessage(code); got != want {
			t.Errorf("errorMessage(%d) = %q, want %q", code, got, want)
		}
	}
}
