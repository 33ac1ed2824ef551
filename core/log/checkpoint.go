package log

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Checkpoint file names in each log dir, as Kafka names them.
const (
	RecoveryPointCheckpointFile  = "recovery-point-offset-checkpoint"
	LogStartOffsetCheckpointFile = "log-start-offset-checkpoint"
	ReplicationCheckpointFile    = "replication-offset-checkpoint"
	LeaderEpochCheckpointFile    = "leader-epoch-checkpoint"
	CleanShutdownFile            = ".kafka_cleanshutdown"
	LockFile                     = ".lock"
)

const checkpointVersion = 0

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// ReadCheckpoint reads an offset checkpoint file ("0", count, then
// "topic partition offset" lines). A missing file is an empty checkpoint.
func ReadCheckpoint(path string) (map[TopicPartition]int64, error) {
	out := map[TopicPartition]int64{}
	err := readCheckpointLines(path, 3, func(f []string) error {
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		off, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("malformed line %q", strings.Join(f, " "))
		}
		out[TopicPartition{f[0], int32(p)}] = off
		return nil
	})
	return out, err
}

// WriteCheckpoint writes an offset checkpoint atomically: a .tmp file,
// fsync, then rename over the old one.
func WriteCheckpoint(path string, offsets map[TopicPartition]int64) error {
	tps := make([]TopicPartition, 0, len(offsets))
	for tp := range offsets {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	lines := make([]string, len(tps))
	for i, tp := range tps {
		lines[i] = fmt.Sprintf("%s %d %d", tp.Topic, tp.Partition, offsets[tp])
	}
	return writeCheckpointLines(path, lines)
}

// EpochEntry is one line of a leader-epoch-checkpoint: the first offset
// written in a leader epoch.
type EpochEntry struct {
	Epoch       int32
	StartOffset int64
}

// ReadLeaderEpochCheckpoint reads "epoch startOffset" lines.
func ReadLeaderEpochCheckpoint(path string) ([]EpochEntry, error) {
	var out []EpochEntry
	err := readCheckpointLines(path, 2, func(f []string) error {
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("malformed line %q", strings.Join(f, " "))
		}
		out = append(out, EpochEntry{int32(e), off})
		return nil
	})
	return out, err
}

// WriteLeaderEpochCheckpoint writes the entries atomically.
func WriteLeaderEpochCheckpoint(path string, entries []EpochEntry) error {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = fmt.Sprintf("%d %d", e.Epoch, e.StartOffset)
	}
	return writeCheckpointLines(path, lines)
}

func readCheckpointLines(path string, fields int, fn func([]string) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	bad := func(why string) error {
		return fmt.Errorf("malformed checkpoint file %s: %s", path, why)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return bad("missing version")
	}
	if v, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err != nil || v != checkpointVersion {
		return bad(fmt.Sprintf("unrecognized version %q", sc.Text()))
	}
	if !sc.Scan() {
		return bad("missing entry count")
	}
	n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || n < 0 {
		return bad(fmt.Sprintf("bad entry count %q", sc.Text()))
	}
	read := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, " ")
		if len(parts) != fields {
			return bad(fmt.Sprintf("line %q", line))
		}
		if err := fn(parts); err != nil {
			return bad(err.Error())
		}
		read++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if read != n {
		return bad(fmt.Sprintf("expected %d entries but found %d", n, read))
	}
	return nil
}

func writeCheckpointLines(path string, lines []string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%d\n%d\n", checkpointVersion, len(lines))
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or create durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
