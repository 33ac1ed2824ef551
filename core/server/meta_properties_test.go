package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMetaPropertiesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, found, err := ReadMetaProperties(dir); found || err != nil {
		t.Fatalf("fresh dir: found=%v err=%v", found, err)
	}
	md := BrokerMetadata{BrokerID: 1, ClusterID: "Ab3_-xYzAb3_-xYzAb3_-w"}
	if err := WriteMetaProperties(dir, md); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, MetaPropertiesFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 5 || lines[0] != "#" ||
		!regexp.MustCompile(`^#[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ \d{4}$`).MatchString(lines[1]) ||
		lines[2] != "version=0" || lines[3] != "broker.id=1" || lines[4] != "cluster.id=Ab3_-xYzAb3_-xYzAb3_-w" {
		t.Fatalf("file:\n%s", raw)
	}
	if _, err := os.Stat(filepath.Join(dir, MetaPropertiesFile+".tmp")); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	got, found, err := ReadMetaProperties(dir)
	if err != nil || !found || got != md {
		t.Fatalf("read back %+v found=%v err=%v", got, found, err)
	}
}

func TestReadKafkaWrittenMetaProperties(t *testing.T) {
	dir := t.TempDir()
	// As Java's Properties.store writes it (any key order).
	content := "#\n#Mon May 03 10:00:00 UTC 2021\ncluster.id=q8Q0qzPqRwe7zAZ0yX3F5g\nversion=0\nbroker.id=2\n"
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte(content), 0o644)
	md, found, err := ReadMetaProperties(dir)
	if err != nil || !found || md.BrokerID != 2 || md.ClusterID != "q8Q0qzPqRwe7zAZ0yX3F5g" {
		t.Fatalf("md=%+v found=%v err=%v", md, found, err)
	}
	// Pre-0.10 files carry no cluster id and no version.
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte("broker.id=5\n"), 0o644)
	md, found, err = ReadMetaProperties(dir)
	if err != nil || !found || md.BrokerID != 5 || md.ClusterID != "" {
		t.Fatalf("md=%+v found=%v err=%v", md, found, err)
	}
}

func TestMetaPropertiesBadContent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte("version=1\nnode.id=1\n"), 0o644)
	if _, _, err := ReadMetaProperties(dir); err == nil || !strings.Contains(err.Error(), "Zk-based brokers only support version 0") {
		t.Fatalf("err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte("version=0\nbroker.id=one\n"), 0o644)
	if _, _, err := ReadMetaProperties(dir); err == nil || !strings.Contains(err.Error(), "Failed to parse broker.id property as an int") {
		t.Fatalf("err = %v", err)
	}
}

func TestBrokerIDChecks(t *testing.T) {
	err := CheckBrokerID(2, BrokerMetadata{BrokerID: 1})
	want := "Configured broker.id 2 doesn't match stored broker.id 1 in meta.properties. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs)."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
	if CheckBrokerID(1, BrokerMetadata{BrokerID: 1}) != nil || CheckBrokerID(-1, BrokerMetadata{BrokerID: 1}) != nil ||
		CheckBrokerID(3, BrokerMetadata{BrokerID: -1}) != nil {
		t.Fatal("unexpected mismatch")
	}

	c := mustConfig(t) // broker.id -1, generation enabled
	if id, gen, err := ResolveBrokerID(c, BrokerMetadata{BrokerID: -1}); id != -1 || !gen || err != nil {
		t.Fatalf("fresh auto id: %d %v %v", id, gen, err)
	}
	if id, gen, err := ResolveBrokerID(c, BrokerMetadata{BrokerID: 1001}); id != 1001 || gen || err != nil {
		t.Fatalf("stored id: %d %v %v", id, gen, err)
	}
	c = mustConfig(t, "broker.id", "4")
	if id, gen, err := ResolveBrokerID(c, BrokerMetadata{BrokerID: -1}); id != 4 || gen || err != nil {
		t.Fatalf("configured id: %d %v %v", id, gen, err)
	}
	if _, _, err := ResolveBrokerID(c, BrokerMetadata{BrokerID: 5}); err == nil {
		t.Fatal("mismatch not reported")
	}
}

func TestClusterIDCheck(t *testing.T) {
	err := CheckClusterID("NEW", BrokerMetadata{BrokerID: 1, ClusterID: "OLD"})
	want := "The Cluster ID NEW doesn't match stored clusterId Some(OLD) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
	if CheckClusterID("X", BrokerMetadata{BrokerID: 1}) != nil || CheckClusterID("X", BrokerMetadata{ClusterID: "X"}) != nil {
		t.Fatal("unexpected mismatch")
	}
}

func TestBrokerMetadataAcrossDirs(t *testing.T) {
	a, b, empty := t.TempDir(), t.TempDir(), t.TempDir()
	md := BrokerMetadata{BrokerID: 1, ClusterID: "c1"}
	if err := WriteBrokerMetadata([]string{a, b}, md); err != nil {
		t.Fatal(err)
	}
	got, found, err := ReadBrokerMetadata([]string{a, b, empty})
	if err != nil || !found || got != md {
		t.Fatalf("got %+v found=%v err=%v", got, found, err)
	}
	if _, found, err := ReadBrokerMetadata([]string{empty, filepath.Join(empty, "missing")}); found || err != nil {
		t.Fatalf("no files: found=%v err=%v", found, err)
	}
	WriteMetaProperties(b, BrokerMetadata{BrokerID: 2, ClusterID: "c1"})
	_, _, err = ReadBrokerMetadata([]string{a, b})
	if err == nil || !strings.HasPrefix(err.Error(), "BrokerMetadata is not consistent across log.dirs.") ||
		!strings.Contains(err.Error(), "- "+b+" -> {broker.id=2, cluster.id=c1, version=0}") {
		t.Fatalf("err = %v", err)
	}
}
