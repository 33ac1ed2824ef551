// Package scheduler runs a coordinator's partition loads and unloads one at
// a time, in the order they were asked for, off the LeaderAndIsr path (the
// single scheduler thread Kafka's GroupMetadataManager and
// TransactionStateManager each use).
package scheduler

import "sync"

// Scheduler is a FIFO of tasks run by one goroutine (Run).
type Scheduler struct {
	mu    sync.Mutex
	tasks []func()
	wake  chan struct{}
}

// New returns an empty scheduler; start it with Run.
func New() *Scheduler { return &Scheduler{wake: make(chan struct{}, 1)} }

// Schedule queues f behind the tasks already queued.
func (s *Scheduler) Schedule(f func()) {
	s.mu.Lock()
	s.tasks = append(s.tasks, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run executes queued tasks until done is closed; tasks still queued then
// are dropped.
func (s *Scheduler) Run(done <-chan struct{}) {
	for {
		s.mu.Lock()
		tasks := s.tasks
		s.tasks = nil
		s.mu.Unlock()
		for _, f := range tasks {
			select {
			case <-done:
				return
			default:
			}
			f()
		}
		select {
		case <-done:
			return
		case <-s.wake:
		}
	}
}
