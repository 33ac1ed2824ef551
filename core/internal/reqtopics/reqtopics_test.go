package reqtopics

import (
	"fmt"
	"testing"
)

func TestSlotAddsEachTopicOnce(t *testing.T) {
	var list []string
	index := map[string]int{}
	var got []int
	for _, topic := range []string{"a", "b", "a", "c", "b"} {
		got = append(got, Slot(index, topic, func() int { list = append(list, topic); return len(list) - 1 }))
	}
	if fmt.Sprint(got) != "[0 1 0 2 1]" || fmt.Sprint(list) != "[a b c]" {
		t.Fatalf("slots %v, list %v", got, list)
	}
}
