// Command kafka is the single binary behind every script in bin/: it runs
// the broker ("kafka server config/server.properties") and the admin tools
// ("kafka topics --list ..."). bin/*.sh are thin wrappers with Kafka's names.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/gokafka/kafka/core/server"
	"github.com/gokafka/kafka/core/tools"
)

// commands maps a subcommand to its entry point; each returns the exit code.
var commands = map[string]func(args []string) int{
	"server": server.Main,
}

func main() {
	for name, fn := range tools.Commands() {
		commands[name] = fn
	}
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: kafka <command> [args]\ncommands: %v\n", names)
		os.Exit(1)
	}
	os.Exit(commands[os.Args[1]](os.Args[2:]))
}
