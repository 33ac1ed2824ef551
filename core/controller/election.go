package controller

// Pure leader-election decisions, kept apart from ZooKeeper writes and
// requests so they can be read (and tested) on their own.

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// offlinePartitionLeader picks the first assigned replica that is alive and
// in the ISR; with unclean election allowed, the first live replica.
// It returns -1 when no replica qualifies.
func offlinePartitionLeader(assignment, isr []int32, live map[int32]bool, uncleanAllowed bool) (leader int32, unclean bool) {
	for _, r := range assignment {
		if live[r] && contains(isr, r) {
			return r, false
		}
	}
	if uncleanAllowed {
		for _, r := range assignment {
			if live[r] {
				return r, true
			}
		}
	}
	return -1, false
}

// liveIsr returns the ISR members that are alive, keeping the order.
func liveIsr(isr []int32, live map[int32]bool) []int32 {
	out := make([]int32, 0, len(isr))
	for _, r := range isr {
		if live[r] {
			out = append(out, r)
		}
	}
	return out
}

// liveReplicas returns the assigned replicas that are alive.
func liveReplicas(assignment []int32, live map[int32]bool) []int32 {
	return liveIsr(assignment, live)
}
