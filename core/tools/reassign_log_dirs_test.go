package tools

import "testing"

func TestReplicaMoveStatesString(t *testing.T) {
	r := func(topic string, p, b int32, dir string) replicaLogDir {
		return replicaLogDir{topicPartition{topic, p}, b, dir}
	}
	states := map[replicaLogDir]logDirMoveState{
		r("t", 0, 2, "/b"): {target: "/b", current: "/a", future: "/b"},
		r("t", 1, 1, "/b"): {target: "/b", current: "/b"},
		r("t", 2, 1, "/b"): {target: "/b", current: "/a"},
		r("t", 3, 1, "/b"): {target: "/b", current: "/a", future: "/c"},
		r("s", 0, 1, "/b"): {target: "/b"},
	}
	want := "Partition s-0 is not found in any live log dir on broker 1. There is likely an offline log directory on the broker.\n" +
		"Reassignment of replica t-1-1 completed successfully.\n" +
		"Partition t-2 on broker 1 is not being moved from log dir /a to /b.\n" +
		"Partition t-3 on broker 1 is being moved to log dir /c instead of /b.\n" +
		"Reassignment of replica t-0-2 is still in progress."
	if got := replicaMoveStatesString(states); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	done := 0
	for _, st := range states {
		if st.done() {
			done++
		}
	}
	if done != 2 {
		t.Fatalf("%d moves done, want 2 (completed and cancelled)", done)
	}
	if got := replicaNames([]replicaLogDir{r("b", 0, 2, ""), r("a", 1, 2, ""), r("z", 0, 1, "")}); got != "z-0-1,a-1-2,b-0-2" {
		t.Fatalf("order %s", got)
	}
}
