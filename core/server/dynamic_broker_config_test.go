package server

import (
	"testing"
	"time"

	"github.com/gokafka/kafka/zkutil"
	"github.com/gokafka/kafka/zkutil/zktest"
)

func staticConfig(t *testing.T) *KafkaConfig {
	t.Helper()
	c, err := NewKafkaConfig(map[string]string{"broker.id": "1", "zookeeper.connect": "127.0.0.1:2181", "log.dirs": t.TempDir(), "log.retention.hours": "168"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDynamicBrokerConfigValidate(t *testing.T) {
	d := NewDynamicBrokerConfig(staticConfig(t))
	cases := []struct {
		props     map[string]string
		perBroker bool
		err       string
	}{
		{map[string]string{"min.insync.replicas": "2", "log.retention.ms": "1000"}, true, ""},
		{map[string]string{"broker.id": "3", "zookeeper.connect": "x"}, true, "Cannot update these configs dynamically: Set(broker.id, zookeeper.connect)"},
		{map[string]string{"listeners": "PLAINTEXT://:9093"}, false, "Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)"},
		{map[string]string{"min.insync.replicas": "zero"}, false, "Invalid value zero for configuration min.insync.replicas: Not a number of type INT"},
	}
	for _, tc := range cases {
		err := d.Validate(tc.props, tc.perBroker)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("%v: %q, want %q", tc.props, got, tc.err)
		}
	}
}

func TestDynamicBrokerConfigLoadAndDescribe(t *testing.T) {
	zk, err := zkutil.Connect(zktest.Start(t), 6*time.Second, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer zk.Close()
	if err := zk.CreatePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	d := NewDynamicBrokerConfig(staticConfig(t))
	if err := zk.SetOrCreateEntityConfig("brokers", "1", map[string]string{"min.insync.replicas": "2"}); err != nil {
		t.Fatal(err)
	}
	if err := zk.SetOrCreateEntityConfig("brokers", "<default>", map[string]string{"min.insync.replicas": "3", "log.retention.ms": "5000"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(zk); err != nil {
		t.Fatal(err)
	}
	cur := d.Current()
	if cur.MinInsyncReplicas != 2 || cur.LogRetentionMs != 5000 {
		t.Fatalf("effective min.insync.replicas %d, log.retention.ms %d", cur.MinInsyncReplicas, cur.LogRetentionMs)
	}
	tc, err := cur.TopicConfig(nil)
	if err != nil || tc.MinInsyncReplicas != 2 || tc.RetentionMs != 5000 {
		t.Fatalf("topic defaults %+v %v", tc, err)
	}
	for _, e := range d.DescribeBrokerConfigs() {
		if e.Name != "min.insync.replicas" {
			continue
		}
		if e.Value != "2" || e.Source != SourceDynamicBroker || len(e.Synonyms) != 3 ||
			e.Synonyms[1].Source != SourceDynamicDefaultBroker || e.Synonyms[1].Value != "3" || e.Synonyms[2].Source != SourceDefault {
			t.Fatalf("described %+v", e)
		}
		return
	}
	t.Fatal("min.insync.replicas not described")
}
