package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestReassignPartitions moves a single-replica partition holding 1000
// records from broker 1 to brokers 2 and 3 with kafka-reassign-partitions
// (--generate, --execute, --verify, --list as Kafka 2.8 prints them), then
// checks the new replica set, the data, the old replica's "-delete" rename
// on broker 1 and kafka-leader-election's report.
func TestReassignPartitions(t *testing.T) {
	c := StartClusterN(t, 3, nil)
	all := c.Bootstrap()
	const topic = "moving"

	out, errOut, code := Kafka(t, "topics", "--bootstrap-server", all, "--create", "--topic", topic, "--replica-assignment", "1")
	expectTool(t, "create", out, errOut, code, "Created topic moving.\n", 0)
	waitPartitions(t, all, topic, 1, "led by broker 1", func(p kadm.PartitionDetail) bool { return p.Leader == 1 })

	cl := NewClient(t, all, kgo.RequiredAcks(kgo.AllISRAcks()))
	var recs []*kgo.Record
	for i := 0; i < 1000; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("record-%04d", i))})
	}
	if err := cl.ProduceSync(testContext(t, 20*time.Second), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	dir := t.TempDir()
	topicsFile := filepath.Join(dir, "topics.json")
	planFile := filepath.Join(dir, "plan.json")
	writeFile(t, topicsFile, `{"topics":[{"topic":"moving"}],"version":1}`)
	writeFile(t, planFile, `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[2,3]}]}`)
	current := `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1],"log_dirs":["any"]}]}`

	out, errOut, code = Kafka(t, "reassign-partitions", "--bootstrap-server", all, "--generate",
		"--topics-to-move-json-file", topicsFile, "--broker-list", "2,3")
	wantPrefix := "Current partition replica assignment\n" + current + "\n\nProposed partition reassignment configuration\n"
	if code != 0 || !strings.HasPrefix(out, wantPrefix) ||
		!strings.Contains(out, `{"topic":"moving","partition":0,"replicas":[`) || strings.Contains(out[len(wantPrefix):], "1]") {
		t.Errorf("--generate: exit %d\n%s\nstderr: %s", code, out, errOut)
	}

	// Through the bin/ wrapper, as a lab would run it.
	out, errOut, code = script(t, "", "kafka-reassign-partitions.sh", "--bootstrap-server", all, "--execute", "--reassignment-json-file", planFile)
	expectTool(t, "--execute", out, errOut, code, "Current partition replica assignment\n\n"+current+
		"\n\nSave this to use as the --reassignment-json-file option during rollback\n"+
		"Successfully started partition reassignment for moving-0\n", 0)

	complete := "Status of partition reassignment:\nReassignment of partition moving-0 is complete.\n\n" +
		"Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic moving\n"
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code = Kafka(t, "reassign-partitions", "--bootstrap-server", all, "--verify", "--reassignment-json-file", planFile)
		if out == complete || time.Now().After(deadline) {
			break
		}
		// Between the controller finishing the move and the brokers'
		// metadata catching up, Kafka's tool too may see the old replica
		// set (2,3,1) with no active reassignment.
		if out != "Status of partition reassignment:\nReassignment of partition moving-0 is still in progress.\n\n" &&
			!strings.HasPrefix(out, "Status of partition reassignment:\nThere is no active reassignment of partition moving-0, but replica set is 2,3,1 rather than 2,3.\n\n") {
			t.Errorf("--verify while moving: exit %d\n%q\nstderr: %s", code, out, errOut)
		}
		time.Sleep(300 * time.Millisecond)
	}
	expectTool(t, "--verify", out, errOut, code, complete, 0)

	waitPartitions(t, all, topic, 1, "on brokers 2,3", func(p kadm.PartitionDetail) bool {
		return joinIDs(p.Replicas) == "2,3" && len(p.ISR) == 2 && !containsInt32(p.ISR, 1)
	})
	// The ISR lists replicas in the order they caught up, as in Kafka. The
	// tool may ask a broker whose metadata has not caught up yet: retry.
	moved := func(out string) bool {
		return strings.Contains(out, "\tReplicas: 2,3\tIsr: 2,3\n") || strings.Contains(out, "\tReplicas: 2,3\tIsr: 3,2\n")
	}
	for end := time.Now().Add(15 * time.Second); ; {
		out, _, _ = Kafka(t, "topics", "--bootstrap-server", all, "--describe", "--topic", topic)
		if moved(out) {
			break
		}
		if time.Now().After(end) {
			t.Errorf("describe after reassignment:\n%s", out)
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	out, errOut, code = Kafka(t, "reassign-partitions", "--bootstrap-server", all, "--list")
	expectTool(t, "--list", out, errOut, code, "No partition reassignments found.\n", 0)

	got := ConsumeAll(t, all, topic, 20*time.Second)[0]
	if len(got) != 1000 {
		t.Errorf("read %d records after the move, want 1000", len(got))
	}
	for i, r := range got {
		if want := fmt.Sprintf("record-%04d", i); string(r.Value) != want || r.Offset != int64(i) {
			t.Errorf("record %d: offset %d value %q, want %q", i, r.Offset, r.Value, want)
			break
		}
	}
	waitDeletedReplica(t, c.Brokers[0].LogDir, topic+"-0")

	out, errOut, code = Kafka(t, "reassign-partitions", "--bootstrap-server", all, "--cancel", "--reassignment-json-file", planFile)
	expectTool(t, "--cancel with nothing active", out, errOut, code, "None of the specified partition reassignments are active.\n"+
		"None of the specified partition moves are active.\n"+
		"Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic moving\n", 0)
	badPlan := filepath.Join(dir, "bad.json")
	writeFile(t, badPlan, `{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[2,9]}]}`)
	out, errOut, code = Kafka(t, "reassign-partitions", "--bootstrap-server", all, "--execute", "--reassignment-json-file", badPlan)
	if code != 1 || !strings.HasPrefix(out, "Error: Unknown broker id 9\n") {
		t.Errorf("--execute to a missing broker: exit %d\n%s\nstderr: %s", code, out, errOut)
	}

	out, errOut, code = Kafka(t, "leader-election", "--bootstrap-server", all, "--election-type", "preferred", "--all-topic-partitions")
	// Kafka's broker leaves partitions that need no election out of an
	// all-partitions answer, so nothing is printed.
	expectTool(t, "leader-election --all-topic-partitions", out, errOut, code, "", 0)
	out, errOut, code = Kafka(t, "leader-election", "--bootstrap-server", all, "--election-type", "PREFERRED", "--topic", topic, "--partition", "0")
	expectTool(t, "leader-election --topic", out, errOut, code, "Valid replica already elected for partitions moving-0\n", 0)
	electionFile := filepath.Join(dir, "election.json")
	writeFile(t, electionFile, `{"partitions":[{"topic":"moving","partition":0}]}`)
	out, errOut, code = script(t, "", "kafka-preferred-replica-election.sh", "--bootstrap-server", all, "--path-to-json-file", electionFile)
	// Kafka 2.8 prints the (empty) list of elected partitions on this line.
	expectTool(t, "preferred-replica-election", out, errOut, code, "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405\n"+
		"Preferred replica already elected for partitions \n", 0)

	// Leadership moves to broker 3 while broker 2 is away; a preferred
	// election hands it back once broker 2 is in the ISR again.
	c.Brokers[1].Stop()
	waitPartitions(t, bootstrapOf(c.Brokers...), topic, 1, "led by broker 3", func(p kadm.PartitionDetail) bool { return p.Leader == 3 })
	c.Brokers[1].Start()
	waitPartitions(t, all, topic, 1, "with broker 2 back in the ISR", func(p kadm.PartitionDetail) bool { return p.Leader == 3 && len(p.ISR) == 2 })
	out, errOut, code = script(t, "", "kafka-leader-election.sh", "--bootstrap-server", all, "--election-type", "preferred", "--all-topic-partitions")
	expectTool(t, "leader-election after a leader change", out, errOut, code, "Successfully completed leader election (PREFERRED) for partitions moving-0\n", 0)
	waitPartitions(t, all, topic, 1, "led by broker 2 again", func(p kadm.PartitionDetail) bool { return p.Leader == 2 })

	out, errOut, code = Kafka(t, "leader-election", "--bootstrap-server", all, "--election-type", "preferred", "--topic", "absent", "--partition", "0")
	if code != 1 || !strings.HasPrefix(out, "Error completing leader election (PREFERRED) for partition: absent-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: ") {
		t.Errorf("leader-election on a missing topic: exit %d\n%s\nstderr: %s", code, out, errOut)
	}
}

// waitDeletedReplica waits (10 s) until the partition directory in logDir
// has been renamed "<name>.<id>-delete" (or already removed).
func waitDeletedReplica(t *testing.T, logDir, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(logDir, name))
		renamed, _ := filepath.Glob(filepath.Join(logDir, name+".*-delete"))
		if os.IsNotExist(err) && len(renamed) > 0 {
			return
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(logDir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("%s in %s not renamed to *-delete after 10s; dir holds %v", name, logDir, names)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func containsInt32(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
