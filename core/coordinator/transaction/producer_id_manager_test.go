package transaction

import (
	"errors"
	"testing"

	"github.com/gokafka/kafka/zkutil"
)

type fakeStore struct {
	claims int
	end    int64
	fail   bool
}

func (f *fakeStore) ClaimProducerIDBlock(brokerID int32) (zkutil.ProducerIDBlock, error) {
	if f.fail {
		return zkutil.ProducerIDBlock{}, errors.New("zookeeper down")
	}
	f.claims++
	start := f.end + 1
	if f.claims == 1 {
		start = 0
	}
	f.end = start + 2
	return zkutil.ProducerIDBlock{BrokerID: brokerID, BlockStart: start, BlockEnd: f.end}, nil
}

func TestIdsAreUniqueAcrossBlocks(t *testing.T) {
	store := &fakeStore{}
	m := NewProducerIDManager(1, store)
	seen := map[int64]bool{}
	for i := 0; i < 10; i++ {
		id, err := m.GenerateProducerID()
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || id != int64(i) {
			t.Fatalf("id %d at step %d", id, i)
		}
		seen[id] = true
	}
	if store.claims != 4 {
		t.Fatalf("claimed %d blocks of 3 for 10 ids", store.claims)
	}
}

func TestClaimFailureIsReported(t *testing.T) {
	m := NewProducerIDManager(1, &fakeStore{fail: true})
	if _, err := m.GenerateProducerID(); err == nil {
		t.Fatal("expected an error")
	}
}
