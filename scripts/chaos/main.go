// Command chaos is a durability check for a local three-broker cluster:
// it produces with acks=all while killing (kill -9) and restarting random
// brokers, then reads everything back and checks that every acknowledged
// record is present exactly once and in order per partition.
//
//	go run ./scripts/chaos -bootstrap 127.0.0.1:9092 -topic chaos \
//	    -pidfiles data/node1/kafka.pid,... -restart 'bin/...'
//
// Brokers are killed through their PID files and restarted with the shell
// command given for each (same order as the PID files).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap servers")
	topic := flag.String("topic", "chaos", "topic (created with 3 partitions, RF 3, min.insync.replicas 2)")
	pidfiles := flag.String("pidfiles", "", "comma-separated broker PID files")
	restarts := flag.String("restart", "", "semicolon-separated restart commands, one per PID file")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	kills := flag.Duration("every", 8*time.Second, "time between kills")
	flag.Parse()
	pids := strings.Split(*pidfiles, ",")
	cmds := strings.Split(*restarts, ";")
	if len(pids) != len(cmds) || *pidfiles == "" {
		fmt.Fprintln(os.Stderr, "need as many -restart commands as -pidfiles")
		os.Exit(2)
	}
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*bootstrap, ",")...), kgo.DefaultProduceTopic(*topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordDeliveryTimeout(30*time.Second))
	if err != nil {
		panic(err)
	}
	adm := kadm.NewClient(cl)
	minIsr := "2"
	if _, err := adm.CreateTopic(ctx, 3, 3, map[string]*string{"min.insync.replicas": &minIsr}, *topic); err != nil {
		fmt.Println("create topic:", err)
	}

	var mu sync.Mutex
	acked := map[int32][]string{}
	offsets := map[string]int64{}
	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(stop); i++ {
			v := strconv.Itoa(i)
			cl.Produce(ctx, kgo.StringRecord(v), func(r *kgo.Record, err error) {
				if err != nil {
					return
				}
				mu.Lock()
				acked[r.Partition] = append(acked[r.Partition], v)
				offsets[v] = r.Offset
				mu.Unlock()
			})
			if i%200 == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		cl.Flush(ctx)
	}()
	for time.Now().Add(*kills).Before(stop) {
		time.Sleep(*kills)
		i := rand.Intn(len(pids))
		if pid := readPid(pids[i]); pid > 0 {
			fmt.Printf("%s kill -9 broker %d (pid %d)\n", time.Now().Format("15:04:05"), i+1, pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(2 * time.Second)
		fmt.Printf("%s restart broker %d\n", time.Now().Format("15:04:05"), i+1)
		exec.Command("bash", "-c", cmds[i]).Run()
	}
	wg.Wait()
	check(ctx, *bootstrap, *topic, acked, offsets)
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// check reads the whole topic and compares it with the acknowledged records.
func check(ctx context.Context, bootstrap, topic string, acked map[int32][]string, offsets map[string]int64) {
	time.Sleep(10 * time.Second) // let the last restart settle
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		panic(err)
	}
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		panic(err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset })
	seen := map[string]int{}
	got := map[int32][]string{}
	deadline := time.Now().Add(60 * time.Second)
	for done := false; !done && time.Now().Before(deadline); {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			seen[string(r.Value)]++
			got[r.Partition] = append(got[r.Partition], string(r.Value))
			if o, ok := offsets[string(r.Value)]; ok && o != r.Offset {
				fmt.Printf("record %s acked at offset %d, read at %d\n", r.Value, o, r.Offset)
			}
		})
		done = true
		for p, end := range want {
			if int64(len(got[p])) < end {
				done = false
			}
		}
	}
	lost, dup := 0, 0
	total := 0
	for p, vs := range acked {
		total += len(vs)
		for _, v := range vs {
			switch seen[v] {
			case 0:
				lost++
				if lost < 10 {
					fmt.Printf("LOST partition %d value %s (acked at offset %d)\n", p, v, offsets[v])
				}
			case 1:
			default:
				dup++
			}
		}
	}
	fmt.Printf("acked %d records; lost %d; duplicated %d\n", total, lost, dup)
	if lost > 0 {
		os.Exit(1)
	}
}
