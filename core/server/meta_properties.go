package server

// meta.properties ties a log directory to one broker and one cluster, so a
// disk moved to the wrong machine or a broker pointed at the wrong ZooKeeper
// refuses to start instead of mixing data. Format and error texts follow
// Kafka's BrokerMetadataCheckpoint.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/magiconair/properties"
)

// MetaPropertiesFile is the file name inside every log directory.
const MetaPropertiesFile = "meta.properties"

// BrokerMetadata is what meta.properties records. BrokerID is -1 and
// ClusterID "" when the file lacks them.
type BrokerMetadata struct {
	BrokerID  int32
	ClusterID string
}

// String renders the metadata as Kafka prints it in consistency errors.
func (m BrokerMetadata) String() string {
	var parts []string
	if m.BrokerID >= 0 {
		parts = append(parts, fmt.Sprintf("broker.id=%d", m.BrokerID))
	}
	if m.ClusterID != "" {
		parts = append(parts, "cluster.id="+m.ClusterID)
	}
	parts = append(parts, "version=0")
	return "{" + strings.Join(parts, ", ") + "}"
}

// ReadMetaProperties reads dir/meta.properties. found is false when the
// file does not exist (a fresh or never-used directory).
func ReadMetaProperties(dir string) (md BrokerMetadata, found bool, err error) {
	path := filepath.Join(dir, MetaPropertiesFile)
	buf, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return BrokerMetadata{BrokerID: -1}, false, nil
	}
	if err != nil {
		return BrokerMetadata{BrokerID: -1}, false, err
	}
	loader := &properties.Loader{Encoding: properties.ISO_8859_1, DisableExpansion: true}
	p, err := loader.LoadBytes(buf)
	if err != nil {
		return BrokerMetadata{BrokerID: -1}, false, fmt.Errorf("reading %s: %v", path, err)
	}
	md = BrokerMetadata{BrokerID: -1}
	if v, ok := p.Get("version"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return md, false, fmt.Errorf("Failed to parse version property as an int: For input string: \"%s\"", v)
		}
		if n != 0 {
			return md, false, fmt.Errorf("Found unexpected version in loaded `meta.properties`: version=%d. Zk-based brokers only support version 0 (which is implicit when the `version` field is missing).", n)
		}
	}
	if v, ok := p.Get("broker.id"); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return md, false, fmt.Errorf("Failed to parse broker.id property as an int: For input string: \"%s\"", v)
		}
		md.BrokerID = int32(n)
	}
	if v, ok := p.Get("cluster.id"); ok {
		md.ClusterID = v
	}
	return md, true, nil
}

// WriteMetaProperties writes dir/meta.properties atomically: a .tmp file,
// fsync, then rename over the old file, so a crash leaves old or new.
func WriteMetaProperties(dir string, md BrokerMetadata) error {
	path := filepath.Join(dir, MetaPropertiesFile)
	var b strings.Builder
	b.WriteString("#\n#" + time.Now().Format("Mon Jan 02 15:04:05 MST 2006") + "\n")
	b.WriteString("version=0\n")
	fmt.Fprintf(&b, "broker.id=%d\n", md.BrokerID)
	if md.ClusterID != "" {
		b.WriteString("cluster.id=" + md.ClusterID + "\n")
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.WriteString(b.String()); err == nil {
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
	return syncDir(dir)
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadBrokerMetadata reads meta.properties from every log dir and insists
// they agree. found is false when no directory has the file yet.
func ReadBrokerMetadata(logDirs []string) (md BrokerMetadata, found bool, err error) {
	byDir := map[string]BrokerMetadata{}
	for _, dir := range logDirs {
		m, ok, err := ReadMetaProperties(dir)
		if err != nil {
			return BrokerMetadata{BrokerID: -1}, false, err
		}
		if ok {
			byDir[dir] = m
		}
	}
	if len(byDir) == 0 {
		return BrokerMetadata{BrokerID: -1}, false, nil
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	first := byDir[dirs[0]]
	for _, d := range dirs[1:] {
		if byDir[d] != first {
			var found strings.Builder
			for _, d := range dirs {
				fmt.Fprintf(&found, "- %s -> %s\n", d, byDir[d])
			}
			return first, true, fmt.Errorf("BrokerMetadata is not consistent across log.dirs. This could happen if multiple brokers shared a log directory (log.dirs) or partial data was manually copied from another broker. Found:\n%s", found.String())
		}
	}
	return first, true, nil
}

// WriteBrokerMetadata writes meta.properties into every log dir.
func WriteBrokerMetadata(logDirs []string, md BrokerMetadata) error {
	for _, dir := range logDirs {
		if err := WriteMetaProperties(dir, md); err != nil {
			return err
		}
	}
	return nil
}

// CheckClusterID fails when the stored cluster id differs from the one in
// ZooKeeper: the broker would otherwise join the wrong cluster.
func CheckClusterID(clusterID string, stored BrokerMetadata) error {
	if stored.ClusterID != "" && stored.ClusterID != clusterID {
		return fmt.Errorf("The Cluster ID %s doesn't match stored clusterId Some(%s) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.", clusterID, stored.ClusterID)
	}
	return nil
}

// CheckBrokerID fails when a configured broker.id differs from the stored one.
func CheckBrokerID(configured int32, stored BrokerMetadata) error {
	if configured >= 0 && stored.BrokerID >= 0 && stored.BrokerID != configured {
		return fmt.Errorf("Configured broker.id %d doesn't match stored broker.id %d in meta.properties. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs).", configured, stored.BrokerID)
	}
	return nil
}

// ResolveBrokerID decides the broker id as Kafka does: a stored id wins
// (after CheckBrokerID); otherwise the configured one; generate is true
// when neither exists and broker.id.generation.enable asks ZooKeeper for one.
func ResolveBrokerID(c *KafkaConfig, stored BrokerMetadata) (id int32, generate bool, err error) {
	if err := CheckBrokerID(c.BrokerID, stored); err != nil {
		return 0, false, err
	}
	switch {
	case stored.BrokerID >= 0:
		return stored.BrokerID, false, nil
	case c.BrokerID < 0 && c.BrokerIDGenerationEnable:
		return -1, true, nil
	}
	return c.BrokerID, false, nil
}
