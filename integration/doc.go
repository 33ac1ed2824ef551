// Package integration holds end-to-end tests: they build the kafka binary,
// start a real ZooKeeper (the Debian package) and real broker processes, and
// drive them with the clients users run (franz-go, kafka-python, kcat) and
// with our own tools and bin/ scripts. Run them with
//
//	go test -p 1 -count=1 -timeout 15m ./integration/...
//
// TestMain builds build/kafka (through a temporary name and a rename), which
// the bin/ scripts use too; INTEGRATION_KAFKA_BIN=/path/to/kafka runs the
// tests against a binary built elsewhere instead.
//
// The harness (harness_test.go, clients_test.go):
//   - StartCluster(t, props) starts ZooKeeper (zkutil/zktest) and broker 1;
//     StartClusterN starts brokers 1..n. props override the defaults of
//     baseProps; an empty value removes a key.
//   - StartBroker / NewStoppedBroker give a *Broker with Start, Stop
//     (SIGTERM, then SIGKILL after 30 s; a non-zero exit fails the test),
//     Restart, Kill9, AfterCrashStart (waits for the dead session's
//     /brokers/ids/<id> to expire), StartExpectExit (for refused start-ups),
//     SetProps, SetOverrides, Log, Running. A broker is ready when ApiVersions
//     answers and Metadata lists it and a controller.
//   - Clients: NewClient (franz-go), kadmClient, runPython (testdata/*.py with
//     /usr/bin/python3, JSON in and out), kcat, Kafka (tool subcommands),
//     RunCmd/RunCmdIn; raw protocol: RoundTrip, EncodeRequest, ReadFrame.
//   - Helpers: CreateTopic, WaitLeaders, ConsumeAll (earliest to the high
//     watermark of every partition), checkAcked, WaitZNodeGone.
//
// Every process a test starts is stopped by its PID when the test ends, also
// when it fails, and is killed by the kernel if the test binary dies
// (Pdeathsig); every wait is bounded. A failing test prints the tail of each
// broker's log. Missing clients fail with a message naming the Debian
// package that `make test` installs.
package integration
