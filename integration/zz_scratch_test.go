package integration

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestZZScratchKcat(t *testing.T) {
	c := StartCluster(t, nil)
	b := c.Bootstrap()
	CreateTopic(t, b, "kt", 1, nil)
	var in strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&in, "key%d:value %d\n", i, i)
	}
	cmd := exec.Command("kcat", "-b", b, "-P", "-t", "kt", "-K:", "-p", "0")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	t.Logf("produce: %v %s", err, out)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	cmd = exec.CommandContext(ctx, "kcat", "-b", b, "-C", "-t", "kt", "-p", "0", "-o", "beginning", "-e", "-d", "fetch,protocol,msg", "-f", "%o %k:%s\n")
	out, err = cmd.CombinedOutput()
	t.Logf("consume: %v\n%s", err, out)
	t.Logf("broker log:\n%s", c.B().Log())
}
