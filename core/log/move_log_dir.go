package log

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Moving a partition's log to another log dir of the same broker
// (AlterReplicaLogDirs; Kafka's future logs and ReplicaAlterLogDirsThread).
//
// The copy goes to "<topic>-<partition>.<id>-future" in the destination
// dir while the log keeps taking appends: the segments are copied without
// any lock (sealed segments are immutable; of the active one only the
// bytes below its published size are read), a few rounds so the remainder
// shrinks, then the log's append lock is taken, the remainder (new bytes,
// new segments, files of segments sealed meanwhile; everything again after
// a truncation) is copied and fsynced, the directory is renamed to
// "<topic>-<partition>" in the destination, loaded as a log, and its
// segments replace the old ones inside the same *Log, so every holder of
// the log keeps working. The old directory is renamed to "-delete" and
// removed, and the checkpoint files of both dirs are rewritten. Appends
// wait only for that last step and none is lost. A broker restarted in
// the middle of a move finds the "-future" directory, deletes the partial
// copy and starts the move again.

// Errors of AlterLogDir.
var (
	// ErrLogDirNotFound: the destination is not one of log.dirs (LOG_DIR_NOT_FOUND).
	ErrLogDirNotFound = errors.New("log dir not found")
	// ErrNoLocalLog: the broker has no log for the partition; the
	// destination is remembered for when it is created.
	ErrNoLocalLog = errors.New("no local log for the partition")
)

// FutureSuffix ends the directory name of a log being moved.
const FutureSuffix = "-future"

// moveRounds bounds the lock-free copy rounds before the final locked one.
const moveRounds = 4

var errMoveCancelled = errors.New("log dir move cancelled")

// moveBeforeLockHook lets tests act between the lock-free copy and the
// locked one; nil outside tests.
var moveBeforeLockHook func(l *Log)

// logMove is one partition's move in progress.
type logMove struct {
	tp       TopicPartition
	destRoot string
	future   string // the -future directory
	cancel   chan struct{}
	done     chan struct{}
	copied   atomic.Int64 // bytes of .log data copied
	endOff   atomic.Int64 // offset after the last copied batch
}

// moveRegistry is the LogManager's state for log dir moves. Its zero
// value is ready to use.
type moveRegistry struct {
	mu        sync.Mutex
	moves     map[TopicPartition]*logMove
	preferred map[TopicPartition]string // destination for logs not created yet
	resume    map[TopicPartition]string // moves interrupted by a restart
	stopped   bool
	rate      func() int64 // SetLogDirMoveThrottle
}

// FutureLog describes a move in progress for DescribeLogDirs: the future
// replica's log dir, its size so far and the offset its copy has reached.
type FutureLog struct {
	TopicPartition
	Dir          string
	Size         int64
	LogEndOffset int64
}

func (m *LogManager) isLogDir(dir string) bool {
	for _, d := range m.cfg.Dirs {
		if d == dir {
			return true
		}
	}
	return false
}

// AlterLogDir moves the partition's log to dir (an absolute path among
// log.dirs), as Kafka's ReplicaManager.alterReplicaLogDirs: the move runs
// in the background; asking for the dir the log is in cancels a move in
// progress; asking for another dir than a running move's restarts it
// there. Without a local log the dir is remembered for when the log is
// created and ErrNoLocalLog is returned.
func (m *LogManager) AlterLogDir(topic string, partition int32, dir string) error {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if !m.isLogDir(dir) {
		return fmt.Errorf("%w: log dir %s is not found in the config", ErrLogDirNotFound, dir)
	}
	tp := TopicPartition{topic, partition}
	l := m.GetLog(topic, partition) // before r.mu: GetOrCreateLog takes m.mu, then r.mu
	r := &m.moves
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return ErrLogClosed
	}
	if l == nil {
		if r.preferred == nil {
			r.preferred = map[TopicPartition]string{}
		}
		r.preferred[tp] = dir
		r.mu.Unlock()
		return fmt.Errorf("%w %s", ErrNoLocalLog, tp)
	}
	cur := r.moves[tp]
	if cur != nil && cur.destRoot == dir {
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	if cur != nil {
		m.cancelMove(cur)
	}
	if filepath.Dir(l.Dir()) == dir {
		return nil
	}
	return m.startMove(l, dir)
}

func (m *LogManager) startMove(l *Log, dir string) error {
	tp := l.TopicPartition()
	var id [16]byte
	rand.Read(id[:])
	mv := &logMove{tp: tp, destRoot: dir, cancel: make(chan struct{}), done: make(chan struct{}),
		future: filepath.Join(dir, fmt.Sprintf("%s.%s%s", tp, hex.EncodeToString(id[:]), FutureSuffix))}
	mv.endOff.Store(l.LogStartOffset())
	r := &m.moves
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return ErrLogClosed
	}
	if other := r.moves[tp]; other != nil {
		r.mu.Unlock()
		m.cancelMove(other)
		return m.startMove(l, dir)
	}
	if r.moves == nil {
		r.moves = map[TopicPartition]*logMove{}
	}
	r.moves[tp] = mv
	r.mu.Unlock()
	managerLogger.Infof("Moving the log of %s from %s to %s", tp, filepath.Dir(l.Dir()), dir)
	go func() {
		defer close(mv.done)
		err := m.moveLog(l, mv)
		r.mu.Lock()
		if r.moves[tp] == mv {
			delete(r.moves, tp)
		}
		r.mu.Unlock()
		if err != nil {
			os.RemoveAll(mv.future)
			if errors.Is(err, errMoveCancelled) {
				managerLogger.Infof("The move of %s to %s was cancelled", tp, dir)
			} else {
				managerLogger.Errorf("Failed to move the log of %s to %s: %v", tp, dir, err)
			}
		}
	}()
	return nil
}

func (m *LogManager) cancelMove(mv *logMove) {
	select {
	case <-mv.cancel:
	default:
		close(mv.cancel)
	}
	<-mv.done
}

// FutureLogs lists the moves in progress.
func (m *LogManager) FutureLogs() []FutureLog {
	r := &m.moves
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]FutureLog, 0, len(r.moves))
	for tp, mv := range r.moves {
		out = append(out, FutureLog{TopicPartition: tp, Dir: mv.destRoot, Size: mv.copied.Load(), LogEndOffset: mv.endOff.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TopicPartition.String() < out[j].TopicPartition.String() })
	return out
}

// MoveInProgress reports whether the partition's log is being moved.
func (m *LogManager) MoveInProgress(topic string, partition int32) bool {
	r := &m.moves
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.moves[TopicPartition{topic, partition}] != nil
}

// AwaitMove waits until no move of the partition is in progress.
func (m *LogManager) AwaitMove(topic string, partition int32) {
	r := &m.moves
	r.mu.Lock()
	mv := r.moves[TopicPartition{topic, partition}]
	r.mu.Unlock()
	if mv != nil {
		<-mv.done
	}
}

// preferredDir returns (and forgets) the dir AlterLogDir chose for a log
// that did not exist yet.
func (m *LogManager) preferredDir(tp TopicPartition) string {
	r := &m.moves
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.preferred[tp]
	delete(r.preferred, tp)
	return d
}

// noteFutureDir handles a "-future" directory found at start-up: the move
// it belongs to was interrupted, so the partial copy is deleted and the
// move is started again by resumeMoves.
func (m *LogManager) noteFutureDir(path string) {
	topic, part, err := ParseTopicPartitionName(filepath.Base(path))
	if err != nil {
		managerLogger.Warnf("Skipping %s: %v", path, err)
		return
	}
	managerLogger.Infof("Found the future log %s of an interrupted log dir move; it will be copied again", path)
	if err := os.RemoveAll(path); err != nil {
		managerLogger.Warnf("Failed to delete %s: %v", path, err)
	}
	r := &m.moves
	r.mu.Lock()
	if r.resume == nil {
		r.resume = map[TopicPartition]string{}
	}
	r.resume[TopicPartition{topic, part}] = filepath.Dir(path)
	r.mu.Unlock()
}

// resumeMoves restarts the moves noteFutureDir found.
func (m *LogManager) resumeMoves() {
	r := &m.moves
	r.mu.Lock()
	resume := r.resume
	r.resume = nil
	r.mu.Unlock()
	for tp, dir := range resume {
		if err := m.AlterLogDir(tp.Topic, tp.Partition, dir); err != nil {
			managerLogger.Warnf("Cannot resume the move of %s to %s: %v", tp, dir, err)
		}
	}
}

// stopMoves cancels every move (shutdown); the future dirs are removed.
func (m *LogManager) stopMoves() {
	r := &m.moves
	r.mu.Lock()
	r.stopped = true
	moves := make([]*logMove, 0, len(r.moves))
	for _, mv := range r.moves {
		moves = append(moves, mv)
	}
	r.mu.Unlock()
	for _, mv := range moves {
		m.cancelMove(mv)
	}
}

// segCopy is what the future dir holds of one segment.
type segCopy struct {
	seg    *LogSegment
	bytes  int64 // .log bytes copied
	sealed bool  // the other files (indexes) were copied after the roll
}

type mover struct {
	l      *Log
	mv     *logMove
	copies map[int64]*segCopy // by base offset
	gen    int64              // the log's truncation count the copies are valid for

	rate      func() int64 // throttle in bytes per second, or nil
	throttled int64        // bytes copied since the throttle started
	since     time.Time
}

// syncAt brings the copy up to date with segs, starting over when the log
// was truncated since the copies were made (a truncation may rewrite
// bytes already copied).
func (mo *mover) syncAt(segs []*LogSegment, locked bool) error {
	if g := mo.l.truncations.Load(); g != mo.gen {
		mo.reset()
		mo.gen = g
	}
	return mo.sync(segs, locked)
}

func (mo *mover) cancelled() bool {
	select {
	case <-mo.mv.cancel:
		return true
	default:
		return false
	}
}

// moveLog copies l into mv.future and swaps it in.
func (m *LogManager) moveLog(l *Log, mv *logMove) error {
	if err := os.MkdirAll(mv.future, 0o755); err != nil {
		return err
	}
	tp := l.TopicPartition()
	if c := m.cleaner; c != nil {
		c.pauseCleaning(tp)
		defer c.resumeCleaning(tp)
	}
	m.moves.mu.Lock()
	rate := m.moves.rate
	m.moves.mu.Unlock()
	mo := &mover{l: l, mv: mv, copies: map[int64]*segCopy{}, gen: l.truncations.Load(), rate: rate}
	for round := 0; round < moveRounds; round++ {
		if mo.cancelled() {
			return errMoveCancelled
		}
		if l.closed.Load() {
			return ErrLogClosed
		}
		before := mv.copied.Load()
		if err := mo.syncAt(l.segmentsSnapshot(), false); err != nil {
			return err
		}
		if round > 0 && mv.copied.Load()-before < 1<<20 {
			break // the rest is small enough to copy under the lock
		}
	}
	if mo.cancelled() {
		return errMoveCancelled
	}
	if moveBeforeLockHook != nil {
		moveBeforeLockHook(l)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	if mo.cancelled() {
		return errMoveCancelled
	}
	if err := mo.syncAt(l.segmentsSnapshot(), true); err != nil {
		return err
	}
	if err := mo.copyOtherFiles(); err != nil {
		return err
	}
	if err := syncTree(mv.future); err != nil {
		return err
	}
	final := filepath.Join(mv.destRoot, tp.String())
	if _, err := os.Stat(final); err == nil {
		return fmt.Errorf("the destination %s already exists", final)
	}
	if err := os.Rename(mv.future, final); err != nil {
		return err
	}
	syncDir(mv.destRoot)
	leo, start, hw := l.leo.Load(), l.logStart.Load(), l.hw.Load()
	fresh, err := OpenLog(final, *l.cfg.Load(), LoadParams{RecoveryPoint: leo, LogStartOffset: start, HighWatermark: hw, CleanShutdown: true})
	if err == nil && (fresh.leo.Load() != leo || fresh.logStart.Load() != start) {
		err = fmt.Errorf("the copy ends at %d and starts at %d, the log at %d and %d", fresh.leo.Load(), fresh.logStart.Load(), leo, start)
		fresh.Close()
	}
	if err != nil {
		os.RemoveAll(final)
		return err
	}

	// The move stops being listed as a future replica before the log
	// shows up in the destination, so the two never share a dir.
	m.moves.mu.Lock()
	if m.moves.moves[tp] == mv {
		delete(m.moves.moves, tp)
	}
	m.moves.mu.Unlock()

	// Swap: readers hold segMu for a whole read, so none sees a mix.
	oldDir := l.dir
	l.segMu.Lock()
	old := l.segments
	l.segments = fresh.segments
	l.dir = final
	l.segMu.Unlock()
	l.epochs.mu.Lock()
	l.epochs.path = filepath.Join(final, LeaderEpochCheckpointFile)
	l.epochs.mu.Unlock()
	if l.producers != nil && fresh.producers != nil {
		l.producers.replaceWith(fresh.producers)
		l.producers.dir = final
	}
	l.recoveryPoint.Store(leo) // everything was fsynced
	for _, s := range old {    // a flush that listed them before the swap ignores closed files
		s.closeHandlers()
	}
	var id [16]byte
	rand.Read(id[:])
	trash := filepath.Join(filepath.Dir(oldDir), fmt.Sprintf("%s.%s-delete", tp, hex.EncodeToString(id[:])))
	if err := os.Rename(oldDir, trash); err != nil {
		managerLogger.Errorf("Failed to rename %s after moving it: %v", oldDir, err)
		trash = oldDir
	}
	syncDir(filepath.Dir(oldDir))
	managerLogger.Infof("The log of %s moved from %s to %s (log end offset %d)", tp, filepath.Dir(oldDir), mv.destRoot, leo)
	go func() { // segment deletions scheduled earlier ignore files already gone
		if err := os.RemoveAll(trash); err != nil {
			managerLogger.Warnf("Failed to delete %s: %v", trash, err)
		}
	}()
	if c := m.cleaner; c != nil {
		c.moveCheckpoint(tp, filepath.Dir(oldDir), mv.destRoot)
	}
	m.CheckpointAll()
	return nil
}

// reset forgets the copy (after a truncation) and empties the future dir.
func (mo *mover) reset() {
	for base := range mo.copies {
		mo.removeSegmentFiles(base)
	}
	mo.copies = map[int64]*segCopy{}
	mo.mv.copied.Store(0)
	mo.mv.endOff.Store(mo.l.LogStartOffset())
}

func (mo *mover) removeSegmentFiles(base int64) {
	prefix := filenamePrefix(base) + "."
	entries, _ := os.ReadDir(mo.mv.future)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && isSegmentFile(e.Name()) {
			os.Remove(filepath.Join(mo.mv.future, e.Name()))
		}
	}
}

func isSegmentFile(name string) bool {
	switch filepath.Ext(name) {
	case LogFileSuffix, IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix:
		return true
	}
	return false
}

// sync brings the future dir in line with segs: segments gone from the
// log are removed, new bytes appended, sealed segments' other files
// copied. locked means the log's append lock is held: errors are real
// then, while without it a segment deleted under our feet is skipped.
func (mo *mover) sync(segs []*LogSegment, locked bool) error {
	live := map[int64]bool{}
	for _, s := range segs {
		live[s.baseOffset] = true
	}
	for base, c := range mo.copies {
		if !live[base] {
			mo.removeSegmentFiles(base)
			mo.mv.copied.Add(-c.bytes)
			delete(mo.copies, base)
		}
	}
	for i, s := range segs {
		if mo.cancelled() && !locked {
			return errMoveCancelled
		}
		active := i == len(segs)-1
		c := mo.copies[s.baseOffset]
		if c != nil && (c.seg != s || s.size.Load() < c.bytes) {
			// Replaced by the cleaner or truncated: copy it again.
			mo.removeSegmentFiles(s.baseOffset)
			mo.mv.copied.Add(-c.bytes)
			c = nil
		}
		if c == nil {
			c = &segCopy{seg: s}
			mo.copies[s.baseOffset] = c
		}
		if err := mo.copyLogBytes(c, locked); err != nil {
			if !locked {
				mo.removeSegmentFiles(s.baseOffset)
				mo.mv.copied.Add(-c.bytes)
				delete(mo.copies, s.baseOffset)
				continue
			}
			return err
		}
		if !active {
			mo.mv.endOff.Store(segs[i+1].baseOffset) // the copy holds everything before it
		}
		if !active && !c.sealed {
			if err := mo.copySegmentSideFiles(s.baseOffset, false); err != nil {
				if !locked {
					continue
				}
				return err
			}
			c.sealed = true
		}
		if active && locked {
			// The active segment's indexes are rebuilt when the copy is
			// loaded; its transaction index is complete under the lock.
			if err := mo.copySegmentSideFiles(s.baseOffset, true); err != nil {
				return err
			}
		}
	}
	if n := len(segs); n > 0 {
		last := segs[n-1]
		if c := mo.copies[last.baseOffset]; c != nil {
			if next, err := logFileNextOffset(segmentFile(mo.mv.future, last.baseOffset, LogFileSuffix), last.baseOffset); err == nil {
				mo.mv.endOff.Store(next)
			}
		}
	}
	return nil
}

// copyLogBytes appends the segment's bytes past c.bytes (up to its
// published size) to the copy, reading through the segment's open file
// so a concurrent rename does not matter.
func (mo *mover) copyLogBytes(c *segCopy, locked bool) error {
	size := c.seg.size.Load()
	if size <= c.bytes && c.bytes > 0 {
		return nil
	}
	flags := os.O_WRONLY | os.O_CREATE
	if c.bytes == 0 {
		flags |= os.O_TRUNC
	}
	dst, err := os.OpenFile(segmentFile(mo.mv.future, c.seg.baseOffset, LogFileSuffix), flags, 0o644)
	if err != nil {
		return err
	}
	defer dst.Close()
	if _, err := dst.Seek(c.bytes, io.SeekStart); err != nil {
		return err
	}
	src := io.NewSectionReader(c.seg.log, c.bytes, size-c.bytes)
	if locked {
		n, err := io.Copy(dst, src)
		c.bytes += n
		mo.mv.copied.Add(n)
		if err != nil {
			return err
		}
		return dst.Close()
	}
	buf := make([]byte, moveChunk)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
			c.bytes += int64(n)
			mo.mv.copied.Add(int64(n))
			if err := mo.throttle(int64(n)); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return dst.Close()
		}
		if rerr != nil {
			return rerr
		}
	}
}

// moveChunk is the unit of the lock-free copy (and of its throttle).
const moveChunk = 64 << 10

// throttle keeps the lock-free copy under
// replica.alter.log.dirs.io.max.bytes.per.second, as Kafka's quota on the
// ReplicaAlterLogDirsThread does; the locked final copy is not throttled.
func (mo *mover) throttle(n int64) error {
	if mo.rate == nil {
		return nil
	}
	rate := mo.rate()
	if rate <= 0 || rate >= 1<<40 {
		mo.throttled, mo.since = 0, time.Time{}
		return nil
	}
	if mo.since.IsZero() {
		mo.since = time.Now()
	}
	mo.throttled += n
	due := time.Duration(float64(mo.throttled) / float64(rate) * float64(time.Second))
	if wait := due - time.Since(mo.since); wait > 0 {
		select {
		case <-mo.mv.cancel:
			return errMoveCancelled
		case <-time.After(wait):
		}
	}
	return nil
}

// SetLogDirMoveThrottle installs the source of the log dir move rate in
// bytes per second (replica.alter.log.dirs.io.max.bytes.per.second; read
// for every chunk, so dynamic changes apply at once; <= 0 or huge: none).
func (m *LogManager) SetLogDirMoveThrottle(rate func() int64) {
	m.moves.mu.Lock()
	m.moves.rate = rate
	m.moves.mu.Unlock()
}

// copySegmentSideFiles copies the segment's files other than the .log
// (only the transaction index when txnOnly).
func (mo *mover) copySegmentSideFiles(base int64, txnOnly bool) error {
	suffixes := []string{IndexFileSuffix, TimeIndexFileSuffix, TxnIndexFileSuffix}
	if txnOnly {
		suffixes = []string{TxnIndexFileSuffix}
		for _, suf := range []string{IndexFileSuffix, TimeIndexFileSuffix} {
			os.Remove(segmentFile(mo.mv.future, base, suf))
		}
	}
	for _, suf := range suffixes {
		src := segmentFile(mo.l.dir, base, suf)
		if err := copyFile(src, segmentFile(mo.mv.future, base, suf)); err != nil {
			if errors.Is(err, fs.ErrNotExist) && suf == TxnIndexFileSuffix {
				continue
			}
			return err
		}
	}
	return nil
}

// copyOtherFiles copies the non-segment files (leader epoch checkpoint,
// producer snapshots, partition metadata); the caller holds l.mu.
func (mo *mover) copyOtherFiles() error {
	entries, err := os.ReadDir(mo.l.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || isSegmentFile(name) {
			continue
		}
		switch {
		case strings.HasSuffix(name, DeletedFileSuffix), strings.HasSuffix(name, CleanedFileSuffix),
			strings.HasSuffix(name, SwapFileSuffix), strings.HasSuffix(name, ".tmp"):
			continue
		}
		if err := copyFile(filepath.Join(mo.l.dir, name), filepath.Join(mo.mv.future, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return WriteLeaderEpochCheckpoint(filepath.Join(mo.mv.future, LeaderEpochCheckpointFile), mo.l.epochs.all())
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncTree fsyncs every file of dir and dir itself.
func syncTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// pauseCleaning stops any clean of tp and keeps the cleaner off it until
// resumeCleaning (Kafka's abortAndPauseCleaning).
func (c *LogCleaner) pauseCleaning(tp TopicPartition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.abortAndWaitLocked(tp)
	c.inProgress[tp] = &cleaningState{aborted: true}
}

func (c *LogCleaner) resumeCleaning(tp TopicPartition) {
	c.mu.Lock()
	delete(c.inProgress, tp)
	c.changed.Broadcast()
	c.mu.Unlock()
}

// moveCheckpoint carries tp's cleaner checkpoint to its new log dir.
func (c *LogCleaner) moveCheckpoint(tp TopicPartition, from, to string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	off, ok := c.checkpoints[from][tp]
	if !ok {
		return
	}
	delete(c.checkpoints[from], tp)
	c.writeCheckpointLocked(from)
	c.setCheckpointLocked(to, tp, off)
}

// cancelMoveOf cancels tp's move, if any (the log is being deleted).
func (m *LogManager) cancelMoveOf(tp TopicPartition) {
	r := &m.moves
	r.mu.Lock()
	mv := r.moves[tp]
	delete(r.preferred, tp)
	r.mu.Unlock()
	if mv != nil {
		m.cancelMove(mv)
	}
}
