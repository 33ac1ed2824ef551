package scheduler

import (
	"testing"
	"time"
)

func TestTasksRunInOrderAndStopWithDone(t *testing.T) {
	s := New()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() { s.Run(done); close(stopped) }()
	got := make(chan int, 10)
	for i := 0; i < 5; i++ {
		s.Schedule(func() { got <- i })
	}
	for want := 0; want < 5; want++ {
		select {
		case v := <-got:
			if v != want {
				t.Fatalf("task %d ran at position %d", v, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("task %d did not run", want)
		}
	}
	close(done)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after done was closed")
	}
}
