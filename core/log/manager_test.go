package log

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), RecoveryPointCheckpointFile)
	in := map[TopicPartition]int64{{"a", 0}: 5, {"a", 1}: 0, {"my-topic.x", 12}: 1 << 40}
	if err := WriteCheckpoint(path, in); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if string(raw) != "0\n3\na 0 5\na 1 0\nmy-topic.x 12 1099511627776\n" {
		t.Fatalf("content %q", raw)
	}
	out, err := ReadCheckpoint(path)
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("%v %v", err, out)
	}
	if m, err := ReadCheckpoint(filepath.Join(t.TempDir(), "missing")); err != nil || len(m) != 0 {
		t.Fatal("missing checkpoint must read as empty")
	}
	os.WriteFile(path, []byte("0\n2\na 0 5\n"), 0o644)
	if _, err := ReadCheckpoint(path); err == nil {
		t.Fatal("count mismatch must fail")
	}
	os.WriteFile(path, []byte("1\n0\n"), 0o644)
	if _, err := ReadCheckpoint(path); err == nil {
		t.Fatal("unknown version must fail")
	}
}

func managerConfig(dirs ...string) ManagerConfig {
	return ManagerConfig{Dirs: dirs, Default: smallConfig(), RetentionCheckMs: 50, HighWatermarkCheckpointMs: 50,
		FlushRecoveryCheckpointMs: 50, FlushStartOffsetCheckpointMs: 50}
}

func TestLogManagerCleanShutdownAndReopen(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 4; p++ {
		l, err := m.GetOrCreateLog("orders", p, smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 10+int(p), 5, 1000)
		l.UpdateHighWatermark(l.LogEndOffset() - 5)
	}
	// New logs are spread over the dirs.
	for _, d := range []string{d1, d2} {
		if m, _ := filepath.Glob(filepath.Join(d, "orders-*")); len(m) != 2 {
			t.Fatalf("dir %s holds %v", d, m)
		}
	}
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{d1, d2} {
		for _, f := range []string{CleanShutdownFile, RecoveryPointCheckpointFile, ReplicationCheckpointFile, LogStartOffsetCheckpointFile} {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				t.Fatalf("%s missing in %s", f, d)
			}
		}
	}
	hw, _ := ReadCheckpoint(filepath.Join(d1, ReplicationCheckpointFile))
	rp, _ := ReadCheckpoint(filepath.Join(d1, RecoveryPointCheckpointFile))
	if len(hw) != 2 || len(rp) != 2 {
		t.Fatalf("hw %v rp %v", hw, rp)
	}

	m2, err := NewLogManager(managerConfig(d1, d2), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	for _, d := range []string{d1, d2} {
		if _, err := os.Stat(filepath.Join(d, CleanShutdownFile)); !os.IsNotExist(err) {
			t.Fatal("clean shutdown marker must be removed after loading")
		}
	}
	if len(m2.AllLogs()) != 4 {
		t.Fatalf("loaded %d logs", len(m2.AllLogs()))
	}
	for p := int32(0); p < 4; p++ {
		l := m2.GetLog("orders", p)
		want := int64((10 + int(p)) * 5)
		if l.LogEndOffset() != want || l.RecoveryPoint() != want || l.HighWatermark() != want-5 {
			t.Fatalf("p%d: leo %d rp %d hw %d", p, l.LogEndOffset(), l.RecoveryPoint(), l.HighWatermark())
		}
		checkConsecutive(t, readAll(t, l), 0, want)
	}
}

func TestLogManagerUncleanShutdownRecovers(t *testing.T) {
	d := t.TempDir()
	m, err := NewLogManager(managerConfig(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := m.GetOrCreateLog("t", 0, smallConfig())
	appendN(t, l, 50, 5, 1000)
	path := lastSegmentFile(t, l)
	// Crash: no flush, no checkpoints, no marker.
	crashLog(l)
	m.unlockAll()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 1, 0, 0, 0, 0, 0, 2, 9, 9}) // torn batch header
	f.Close()

	m2, err := NewLogManager(managerConfig(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	l2 := m2.GetLog("t", 0)
	if l2 == nil || l2.LogEndOffset() != 250 {
		t.Fatalf("recovered log %v", l2)
	}
	checkConsecutive(t, readAll(t, l2), 0, 250)
}

func TestLogDirLocked(t *testing.T) {
	d := t.TempDir()
	m, err := NewLogManager(managerConfig(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewLogManager(managerConfig(d), nil); err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("second manager on the same dir: %v", err)
	}
	m.Shutdown()
	m2, err := NewLogManager(managerConfig(d), nil)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	m2.Shutdown()
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := NewLogManager(managerConfig(filepath.Join(blocker, "sub")), nil); err == nil {
		t.Fatal("uncreatable dir must fail")
	}
}

func TestAsyncDeleteAndStrayDeleteDirs(t *testing.T) {
	d := t.TempDir()
	cfg := managerConfig(d)
	cfg.Default.FileDeleteDelayMs = 100
	m, err := NewLogManager(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := m.GetOrCreateLog("gone", 3, smallConfig())
	appendN(t, l, 3, 5, 1)
	if err := m.AsyncDelete("gone", 3); err != nil {
		t.Fatal(err)
	}
	if m.GetLog("gone", 3) != nil {
		t.Fatal("log still registered")
	}
	matches, _ := filepath.Glob(filepath.Join(d, "gone-3.*-delete"))
	if len(matches) != 1 || len(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(matches[0]), "gone-3."), "-delete")) != 32 {
		t.Fatalf("renamed dirs %v", matches)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(matches[0]); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dir not removed after file.delete.delay.ms")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A -delete dir left by a previous run is removed on startup.
	os.MkdirAll(filepath.Join(d, "old-0.0123456789abcdef0123456789abcdef-delete"), 0o755)
	m.Shutdown()
	m2, err := NewLogManager(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	if left, _ := filepath.Glob(filepath.Join(d, "*-delete")); len(left) != 0 {
		t.Fatalf("stray delete dirs %v", left)
	}
}

func TestLogManagerBackgroundTasks(t *testing.T) {
	d := t.TempDir()
	cfg := managerConfig(d)
	cfg.Default.RetentionMs = 1000
	m, err := NewLogManager(cfg, func(string) Config { return cfg.Default })
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	l, _ := m.GetOrCreateLog("bg", 0, cfg.Default)
	appendN(t, l, 40, 5, 1000) // timestamps from 1970: all expired
	l.UpdateHighWatermark(l.LogEndOffset())
	m.Startup()
	deadline := time.Now().Add(5 * time.Second)
	for {
		hw, _ := ReadCheckpoint(filepath.Join(d, ReplicationCheckpointFile))
		if l.NumSegments() == 1 && l.LogStartOffset() == 200 && hw[TopicPartition{"bg", 0}] == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention/checkpoint did not run: segs %d start %d hw %v", l.NumSegments(), l.LogStartOffset(), hw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestParseTopicPartitionName(t *testing.T) {
	for name, want := range map[string]TopicPartition{
		"foo-0": {"foo", 0}, "my-topic-12": {"my-topic", 12}, "__consumer_offsets-49": {"__consumer_offsets", 49},
		"foo-3.0123456789abcdef0123456789abcdef-delete": {"foo", 3},
	} {
		topic, p, err := ParseTopicPartitionName(name)
		if err != nil || topic != want.Topic || p != want.Partition {
			t.Fatalf("%s: %s %d %v", name, topic, p, err)
		}
	}
	for _, bad := range []string{"foo", "foo-", "-1", "foo-x"} {
		if _, _, err := ParseTopicPartitionName(bad); err == nil {
			t.Fatalf("%s should not parse", bad)
		}
	}
}
