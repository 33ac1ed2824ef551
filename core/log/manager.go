package log

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokafka/kafka/core/logging"
)

var managerLogger = logging.For("kafka.log.LogManager")

// ManagerConfig holds the broker-wide log settings.
type ManagerConfig struct {
	Dirs                         []string
	Default                      Config
	RetentionCheckMs             int64 // log.retention.check.interval.ms (300000)
	FlushCheckMs                 int64 // log.flush.scheduler.interval.ms (never)
	FlushRecoveryCheckpointMs    int64 // log.flush.offset.checkpoint.interval.ms (60000)
	FlushStartOffsetCheckpointMs int64 // log.flush.start.offset.checkpoint.interval.ms (60000)
	HighWatermarkCheckpointMs    int64 // replica.high.watermark.checkpoint.interval.ms (5000)
	RecoveryThreads              int   // num.recovery.threads.per.data.dir (1)

	// Log cleaner (compaction) settings; zero values take Kafka's defaults
	// except CleanerEnable, which the broker sets from log.cleaner.enable.
	CleanerEnable           bool  // log.cleaner.enable (true in Kafka)
	CleanerThreads          int   // log.cleaner.threads (1)
	CleanerBackoffMs        int64 // log.cleaner.backoff.ms (15000)
	CleanerDedupeBufferSize int64 // log.cleaner.dedupe.buffer.size (134217728)
	CleanerIoBufferSize     int   // log.cleaner.io.buffer.size (524288)
}

// initialTaskDelay is how long Kafka waits before the first retention run.
const initialTaskDelay = 30 * time.Second

// LogManager owns every log directory: it locks them, loads and recovers
// the partitions in them, runs retention, flushing and checkpointing, and
// marks a clean shutdown (Kafka's kafka.log.LogManager).
type LogManager struct {
	cfg          ManagerConfig
	topicConfigs func(topic string) Config

	mu    sync.RWMutex
	logs  map[TopicPartition]*Log
	locks map[string]*os.File // log dir -> locked .lock file

	ckptMu sync.Mutex

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
	timersMu sync.Mutex
	timers   []*time.Timer
	shutdown bool

	moves moveRegistry // log dir moves (move_log_dir.go)

	cleaner *LogCleaner // nil unless CleanerEnable
}

// NewLogManager locks and loads every log dir. A dir without the clean
// shutdown marker has each log recovered from its recovery point; stray
// "-delete" dirs and temporary segment files are removed; the marker is
// deleted once the dir is loaded.
func NewLogManager(cfg ManagerConfig, topicConfigs func(topic string) Config) (*LogManager, error) {
	if len(cfg.Dirs) == 0 {
		return nil, errors.New("no log directories configured")
	}
	cfg.Dirs = append([]string(nil), cfg.Dirs...)
	cfg.Default = cfg.Default.sanitized()
	if cfg.RecoveryThreads <= 0 {
		cfg.RecoveryThreads = 1
	}
	m := &LogManager{cfg: cfg, topicConfigs: topicConfigs, logs: map[TopicPartition]*Log{},
		locks: map[string]*os.File{}, stop: make(chan struct{})}
	for i, d := range cfg.Dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		m.cfg.Dirs[i] = abs
	}
	if err := m.createAndLockDirs(); err != nil {
		m.unlockAll()
		return nil, err
	}
	start := time.Now()
	managerLogger.Infof("Loading logs from log dirs [%s]", strings.Join(m.cfg.Dirs, ", "))
	for _, dir := range m.cfg.Dirs {
		if err := m.loadDir(dir); err != nil {
			m.closeAll()
			m.unlockAll()
			return nil, err
		}
	}
	managerLogger.Infof("Loaded %d logs in %dms.", len(m.logs), time.Since(start).Milliseconds())
	if cfg.CleanerEnable {
		m.cleaner = newLogCleaner(m)
	}
	return m, nil
}

func (m *LogManager) createAndLockDirs() error {
	seen := map[string]bool{}
	for _, dir := range m.cfg.Dirs {
		if seen[dir] {
			return fmt.Errorf("duplicate log directory found: %s", dir)
		}
		seen[dir] = true
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("failed to create or validate data directory %s: %w", dir, err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("failed to create or validate data directory %s: not a readable directory", dir)
		}
		f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return fmt.Errorf("failed to create lock file in %s: %w", dir, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return fmt.Errorf("failed to acquire lock on file .lock in %s. A Kafka instance in another process or thread is using this directory", dir)
		}
		m.locks[dir] = f
	}
	return nil
}

func (m *LogManager) unlockAll() {
	for dir, f := range m.locks {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		delete(m.locks, dir)
	}
}

func (m *LogManager) closeAll() {
	for _, l := range m.logs {
		l.Close()
	}
}

func readCheckpointOrWarn(dir, name string) map[TopicPartition]int64 {
	c, err := ReadCheckpoint(filepath.Join(dir, name))
	if err != nil {
		managerLogger.Warnf("Error occurred while reading %s file of directory %s, resetting to the base offset of the first segment: %v", name, dir, err)
		return map[TopicPartition]int64{}
	}
	return c
}

func (m *LogManager) configFor(topic string) Config {
	if m.topicConfigs != nil {
		return m.topicConfigs(topic)
	}
	return m.cfg.Default
}

// loadDir opens every partition directory of one log dir.
func (m *LogManager) loadDir(dir string) error {
	marker := filepath.Join(dir, CleanShutdownFile)
	_, err := os.Stat(marker)
	clean := err == nil
	if clean {
		managerLogger.Infof("Skipping recovery for all logs in %s since clean shutdown file was found", dir)
	} else {
		managerLogger.Infof("Attempting recovery for all logs in %s since no clean shutdown file was found", dir)
	}
	recoveryPoints := readCheckpointOrWarn(dir, RecoveryPointCheckpointFile)
	startOffsets := readCheckpointOrWarn(dir, LogStartOffsetCheckpointFile)
	highWatermarks := readCheckpointOrWarn(dir, ReplicationCheckpointFile)

	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type job struct {
		path string
		tp   TopicPartition
	}
	var jobs []job
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), "-delete") {
			managerLogger.Infof("Deleting log directory %s left over from a topic deletion", path)
			if err := os.RemoveAll(path); err != nil {
				managerLogger.Warnf("Failed to delete %s: %v", path, err)
			}
			continue
		}
		if strings.HasSuffix(e.Name(), "-future") {
			m.noteFutureDir(path) // an interrupted move: copied again by Startup
			continue
		}
		topic, part, err := ParseTopicPartitionName(e.Name())
		if err != nil {
			managerLogger.Warnf("Skipping %s: %v", path, err)
			continue
		}
		jobs = append(jobs, job{path, TopicPartition{topic, part}})
	}

	var wg sync.WaitGroup
	work := make(chan job)
	var mu sync.Mutex
	var firstErr error
	for i := 0; i < m.cfg.RecoveryThreads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				params := LoadParams{CleanShutdown: clean, RecoveryPoint: recoveryPoints[j.tp],
					LogStartOffset: startOffsets[j.tp], HighWatermark: highWatermarks[j.tp]}
				l, err := OpenLog(j.path, m.configFor(j.tp.Topic), params)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = fmt.Errorf("error loading log %s: %w", j.path, err)
					}
				case m.logs[j.tp] != nil:
					l.Close()
					if firstErr == nil {
						firstErr = fmt.Errorf("duplicate log directories for %s are found in both %s and %s", j.tp, m.logs[j.tp].Dir(), j.path)
					}
				default:
					m.logs[j.tp] = l
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if clean {
		if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func orDefault(v, d int64) int64 {
	if v <= 0 {
		return d
	}
	return v
}

// Startup starts the background tasks: retention, time-based flushing, the
// recovery point, log start offset and high watermark checkpoints, and the
// log cleaner threads when CleanerEnable is set. With the cleaner on,
// retention of compacted logs runs on the cleaner threads between cleans
// (as in Kafka), so it never races a clean.
func (m *LogManager) Startup() {
	c := m.cfg
	retention := time.Duration(orDefault(c.RetentionCheckMs, 300000)) * time.Millisecond
	managerLogger.Infof("Starting log cleanup with a period of %d ms.", retention.Milliseconds())
	m.loop("kafka-log-retention", min(initialTaskDelay, retention), retention, func() { m.cleanupLogs() })
	flushMs := c.FlushCheckMs
	if flushMs <= 0 {
		flushMs = math.MaxInt64
	}
	managerLogger.Infof("Starting log flusher with a default period of %d ms.", flushMs)
	if flushMs < 1<<53 {
		d := time.Duration(flushMs) * time.Millisecond
		m.loop("kafka-log-flusher", min(initialTaskDelay, d), d, m.flushDirtyLogs)
	}
	rp := time.Duration(orDefault(c.FlushRecoveryCheckpointMs, 60000)) * time.Millisecond
	m.loop("kafka-recovery-point-checkpoint", min(initialTaskDelay, rp), rp, m.checkpointRecoveryPoints)
	ls := time.Duration(orDefault(c.FlushStartOffsetCheckpointMs, 60000)) * time.Millisecond
	m.loop("kafka-log-start-offset-checkpoint", min(initialTaskDelay, ls), ls, m.checkpointLogStartOffsets)
	hw := time.Duration(orDefault(c.HighWatermarkCheckpointMs, 5000)) * time.Millisecond
	m.loop("highwatermark-checkpoint", hw, hw, m.checkpointHighWatermarks)
	m.resumeMoves()
	if m.cleaner != nil {
		m.cleaner.startup()
	}
}

// Cleaner returns the log cleaner, or nil when log.cleaner.enable is off.
func (m *LogManager) Cleaner() *LogCleaner { return m.cleaner }

func (m *LogManager) loop(name string, initial, period time.Duration, fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTimer(initial)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				fn()
				t.Reset(period)
			}
		}
	}()
}

// cleanupLogs runs retention on every log.
func (m *LogManager) cleanupLogs() {
	start := time.Now()
	total := 0
	for _, l := range m.AllLogs() {
		if m.cleaner != nil && l.cfg.Load().compactEnabled() {
			continue // the cleaner threads apply retention to compacted logs between cleans, as in Kafka
		}
		n, err := l.DeleteOldSegments()
		if err != nil {
			managerLogger.Errorf("Error while deleting old segments of %s: %v", l.TopicPartition(), err)
		}
		total += n
	}
	managerLogger.Debugf("Log cleanup completed. %d files deleted in %d seconds", total, int(time.Since(start).Seconds()))
}

// flushDirtyLogs flushes logs whose flush.ms has elapsed.
func (m *LogManager) flushDirtyLogs() {
	now := time.Now().UnixMilli()
	for _, l := range m.AllLogs() {
		cfg := l.cfg.Load()
		if cfg.flushNever() || now-l.LastFlushTime() < cfg.FlushMs {
			continue
		}
		if err := l.Flush(); err != nil {
			managerLogger.Errorf("Error flushing topic %s: %v", l.TopicPartition(), err)
		}
	}
}

// logsByDir groups the open logs by their log dir.
func (m *LogManager) logsByDir() map[string][]*Log {
	out := map[string][]*Log{}
	for _, d := range m.cfg.Dirs {
		out[d] = nil
	}
	for _, l := range m.AllLogs() {
		d := filepath.Dir(l.Dir())
		out[d] = append(out[d], l)
	}
	return out
}

func (m *LogManager) writeCheckpoints(name string, value func(*Log) (int64, bool)) {
	m.ckptMu.Lock()
	defer m.ckptMu.Unlock()
	for dir, logs := range m.logsByDir() {
		if _, locked := m.locks[dir]; !locked {
			continue
		}
		offsets := map[TopicPartition]int64{}
		for _, l := range logs {
			if v, ok := value(l); ok {
				offsets[l.TopicPartition()] = v
			}
		}
		if err := WriteCheckpoint(filepath.Join(dir, name), offsets); err != nil {
			managerLogger.Errorf("Disk error while writing to %s in dir %s: %v", name, dir, err)
		}
	}
}

func (m *LogManager) checkpointRecoveryPoints() {
	m.writeCheckpoints(RecoveryPointCheckpointFile, func(l *Log) (int64, bool) { return l.RecoveryPoint(), true })
}

// checkpointLogStartOffsets records only log start offsets that differ
// from the first segment's base offset, as Kafka does.
func (m *LogManager) checkpointLogStartOffsets() {
	m.writeCheckpoints(LogStartOffsetCheckpointFile, func(l *Log) (int64, bool) {
		bases := l.SegmentBaseOffsets()
		ls := l.LogStartOffset()
		return ls, len(bases) > 0 && ls > bases[0]
	})
}

func (m *LogManager) checkpointHighWatermarks() {
	m.writeCheckpoints(ReplicationCheckpointFile, func(l *Log) (int64, bool) { return l.HighWatermark(), true })
}

// CheckpointAll writes all three checkpoint files now.
func (m *LogManager) CheckpointAll() {
	m.checkpointRecoveryPoints()
	m.checkpointLogStartOffsets()
	m.checkpointHighWatermarks()
}

// Dirs lists the (absolute) log dirs.
func (m *LogManager) Dirs() []string { return append([]string(nil), m.cfg.Dirs...) }

// GetLog returns the log of a partition, or nil.
func (m *LogManager) GetLog(topic string, partition int32) *Log {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.logs[TopicPartition{topic, partition}]
}

// GetOrCreateLog returns the partition's log, creating it in the log dir
// that holds the fewest partitions.
func (m *LogManager) GetOrCreateLog(topic string, partition int32, cfg Config) (*Log, error) {
	tp := TopicPartition{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shutdown {
		return nil, ErrLogClosed
	}
	if l := m.logs[tp]; l != nil {
		return l, nil
	}
	counts := map[string]int{}
	for _, l := range m.logs {
		counts[filepath.Dir(l.Dir())]++
	}
	dirs := append([]string(nil), m.cfg.Dirs...)
	sort.SliceStable(dirs, func(i, j int) bool { return counts[dirs[i]] < counts[dirs[j]] })
	if d := m.preferredDir(tp); d != "" {
		dirs = []string{d} // chosen by AlterReplicaLogDirs before the log existed
	}
	path := filepath.Join(dirs[0], tp.String())
	l, err := OpenLog(path, cfg, LoadParams{CleanShutdown: true})
	if err != nil {
		return nil, fmt.Errorf("error while creating log for %s in dir %s: %w", tp, dirs[0], err)
	}
	m.logs[tp] = l
	managerLogger.Infof("Created log for partition %s in %s with properties {%s}", tp, path, describeConfig(cfg))
	return l, nil
}

func describeConfig(c Config) string {
	return fmt.Sprintf("segment.bytes=%d, segment.ms=%d, retention.ms=%d, retention.bytes=%d, cleanup.policy=%s, max.message.bytes=%d, message.timestamp.type=%s",
		c.SegmentBytes, c.SegmentMs, c.RetentionMs, c.RetentionBytes, c.CleanupPolicy, c.MaxMessageBytes, c.MessageTimestampType)
}

// AsyncDelete closes a partition's log, renames its dir to
// "<topic>-<partition>.<uuid>-delete" and removes it after
// file.delete.delay.ms.
func (m *LogManager) AsyncDelete(topic string, partition int32) error {
	tp := TopicPartition{topic, partition}
	m.cancelMoveOf(tp)
	m.mu.Lock()
	l := m.logs[tp]
	delete(m.logs, tp)
	m.mu.Unlock()
	if l == nil {
		return nil
	}
	if m.cleaner != nil {
		m.cleaner.abortCleaning(tp, filepath.Dir(l.Dir()))
	}
	if err := l.Close(); err != nil {
		managerLogger.Warnf("Error closing log %s before deletion: %v", tp, err)
	}
	var id [16]byte
	rand.Read(id[:])
	renamed := filepath.Join(filepath.Dir(l.Dir()), fmt.Sprintf("%s.%s-delete", tp, hex.EncodeToString(id[:])))
	if err := os.Rename(l.Dir(), renamed); err != nil {
		return fmt.Errorf("failed to rename log directory from %s to %s: %w", l.Dir(), renamed, err)
	}
	syncDir(filepath.Dir(renamed))
	managerLogger.Infof("Log for partition %s is renamed to %s and is scheduled for deletion", tp, renamed)
	m.CheckpointAll()
	delay := time.Duration(m.cfg.Default.FileDeleteDelayMs) * time.Millisecond
	remove := func() {
		if err := os.RemoveAll(renamed); err != nil {
			managerLogger.Errorf("Exception while deleting %s: %v", renamed, err)
		} else {
			managerLogger.Infof("Deleted log for partition %s in %s.", tp, renamed)
		}
	}
	if delay <= 0 {
		remove()
		return nil
	}
	m.timersMu.Lock()
	m.timers = append(m.timers, time.AfterFunc(delay, remove))
	m.timersMu.Unlock()
	return nil
}

// UpdateTopicConfig applies a topic's changed configuration to every
// partition of it that this broker holds.
func (m *LogManager) UpdateTopicConfig(topic string, c Config) {
	for _, l := range m.AllLogs() {
		if l.Topic() == topic {
			l.UpdateConfig(c)
		}
	}
}

// AllLogs returns every open log.
func (m *LogManager) AllLogs() []*Log {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		out = append(out, l)
	}
	return out
}

// Shutdown stops the background tasks, flushes and closes every log,
// writes the checkpoints and the clean shutdown marker, and unlocks the
// dirs. Pending directory deletions finish on the next start.
func (m *LogManager) Shutdown() error {
	managerLogger.Info("Shutting down.")
	m.stopMoves()
	if m.cleaner != nil {
		m.cleaner.shutdown()
	}
	m.stopOnce.Do(func() { close(m.stop) })
	m.wg.Wait()
	m.timersMu.Lock()
	for _, t := range m.timers {
		t.Stop()
	}
	m.timersMu.Unlock()
	m.mu.Lock()
	m.shutdown = true
	m.mu.Unlock()

	var firstErr error
	failedDirs := map[string]bool{}
	for _, l := range m.AllLogs() {
		err := l.Flush()
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			managerLogger.Errorf("Error closing log %s: %v", l.TopicPartition(), err)
			failedDirs[filepath.Dir(l.Dir())] = true
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	m.CheckpointAll()
	for dir := range m.locks {
		if failedDirs[dir] {
			continue
		}
		marker := filepath.Join(dir, CleanShutdownFile)
		if f, err := os.Create(marker); err != nil {
			managerLogger.Errorf("Failed to write clean shutdown marker in %s: %v", dir, err)
		} else {
			f.Close()
			syncDir(dir)
		}
	}
	m.unlockAll()
	managerLogger.Info("Shutdown complete.")
	return firstErr
}
