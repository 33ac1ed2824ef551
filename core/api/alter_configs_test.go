package api

import (
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func incOp(name string, op kmsg.IncrementalAlterConfigOp, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = name, op, value
	return c
}

func sp(s string) *string { return &s }

func TestApplyIncrementalOps(t *testing.T) {
	current := map[string]string{"retention.ms": "1000", "segment.bytes": "2048"}
	ops := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpSet, sp("5000")),
		incOp("segment.bytes", kmsg.IncrementalAlterConfigOpDelete, nil),
		incOp("cleanup.policy", kmsg.IncrementalAlterConfigOpAppend, sp("compact")),
		incOp("leader.replication.throttled.replicas", kmsg.IncrementalAlterConfigOpSubtract, sp("0:1")),
	}
	got, err := ApplyIncrementalOps(current, ops, listTopicConfigDefaults)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"retention.ms": "5000", "cleanup.policy": "delete,compact", "leader.replication.throttled.replicas": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if current["segment.bytes"] != "2048" {
		t.Fatal("the input map was modified")
	}
}

func TestApplyIncrementalOpsSubtractFromOverride(t *testing.T) {
	current := map[string]string{"follower.replication.throttled.replicas": "0:1,1:2,0:1"}
	ops := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("follower.replication.throttled.replicas", kmsg.IncrementalAlterConfigOpSubtract, sp("0:1")),
	}
	got, err := ApplyIncrementalOps(current, ops, listTopicConfigDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if v := got["follower.replication.throttled.replicas"]; v != "1:2,0:1" {
		t.Fatalf("subtract removes one occurrence per element: got %q", v)
	}
}

func TestApplyIncrementalOpsRejectsAppendOnScalar(t *testing.T) {
	ops := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpAppend, sp("1")),
	}
	_, err := ApplyIncrementalOps(nil, ops, listTopicConfigDefaults)
	code, msg := alterConfigsError(err)
	if code != kerr.InvalidRequest.Code || *msg != "Config value append is not allowed for config key: retention.ms" {
		t.Fatalf("got %d %v", code, *msg)
	}
}

func TestCheckIncrementalOps(t *testing.T) {
	dup := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpSet, sp("1")),
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpDelete, nil),
	}
	err := checkIncrementalOps(dup)
	if !errors.Is(err, kerr.InvalidRequest) {
		t.Fatalf("duplicate keys: %v", err)
	}
	if _, msg := alterConfigsError(err); *msg != "Error due to duplicate config keys : retention.ms" {
		t.Fatalf("message %q", *msg)
	}
	null := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpSet, nil),
	}
	if _, msg := alterConfigsError(checkIncrementalOps(null)); *msg != "Null value not supported for : SET:retention.ms" {
		t.Fatalf("message %q", *msg)
	}
	ok := []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", kmsg.IncrementalAlterConfigOpDelete, nil),
	}
	if err := checkIncrementalOps(ok); err != nil {
		t.Fatal(err)
	}
}

func TestTopicConfigErrorCodes(t *testing.T) {
	code, msg := alterConfigsError(topicConfigError("t", errors.New("Unknown topic config name: foo")))
	if code != kerr.InvalidConfig.Code || *msg != "Unknown topic config name: foo" {
		t.Fatalf("got %d %q", code, *msg)
	}
	code, msg = alterConfigsError(topicConfigError("t", errors.New("Invalid value x for configuration retention.ms: Not a number of type LONG")))
	if code != kerr.InvalidRequest.Code || *msg != "Invalid config value for resource ConfigResource(type=TOPIC, name='t'): Invalid value x for configuration retention.ms: Not a number of type LONG" {
		t.Fatalf("got %d %q", code, *msg)
	}
}
