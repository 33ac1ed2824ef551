// Package integration holds end-to-end tests: they build the kafka binary,
// start a real ZooKeeper (the Debian package) and real broker processes, and
// drive them with the clients users run (franz-go, kafka-python, kcat) and
// with our own tools. Run them with
//
//	go test -p 1 -count=1 -timeout 15m ./integration/...
//
// Every process a test starts is stopped by its PID when the test ends, also
// when it fails; a failing test prints the tail of the broker's log.
package integration
