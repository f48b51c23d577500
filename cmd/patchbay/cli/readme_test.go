package cli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeGreeterExample runs the README's greeter example as a user
// would paste it into bash: the sh blocks between the greeter-example
// markers, in order, with only the ports moved to free loopback ports and
// /tmp/greeter moved to a temporary directory. It needs ngircd, which .ci/test
// installs.
func TestReadmeGreeterExample(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := readmeBlocks(t, string(readme), "greeter-example")
	dir := t.TempDir()
	ircPort := port(t)
	script = strings.ReplaceAll(script, "6667", ircPort)
	script = strings.ReplaceAll(script, "/tmp/greeter", dir)
	script = strings.ReplaceAll(script, "kill %1 %2", "")

	natsAddr := "127.0.0.1:" + port(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n"+script)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"PATCHBAY_LISTEN="+natsAddr,
		"PATCHBAY_SERVER=nats://"+natsAddr,
		"PATCHBAY_REDIS_LISTEN=127.0.0.1:0",
		"PATCHBAY_HTTP_LISTEN=127.0.0.1:0",
	)
	out, err := cmd.CombinedOutput()
	logs, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatalf("README example failed: %v\noutput:\n%s\nserve.log:\n%s", err, out, logs)
	}
	hello := strings.Index(string(out), "PRIVMSG #lobby :Hello, alice!")
	howdy := strings.Index(string(out), "PRIVMSG #lobby :Howdy, alice!")
	if hello < 0 || howdy < hello {
		t.Fatalf("want the bot to answer Hello, then Howdy; output:\n%s\nserve.log:\n%s", out, logs)
	}
	if n := strings.Count(string(logs), "irc joined"); n != 1 {
		t.Errorf("the IRC connector joined %d times, want once (the patch must not reconnect):\n%s", n, logs)
	}
}

// readmeBlocks returns the sh code blocks between <!-- name:begin --> and
// <!-- name:end -->, joined in order.
func readmeBlocks(t *testing.T, readme, name string) string {
	t.Helper()
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README has no %s ... %s section", begin, end)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(readme[i:j], -1)
	if len(blocks) == 0 {
		t.Fatalf("README section %s has no sh blocks", name)
	}
	var b strings.Builder
	for _, m := range blocks {
		b.WriteString(m[1])
	}
	return b.String()
}

// port returns a free loopback TCP port.
func port(t *testing.T) string {
	t.Helper()
	_, p, err := net.SplitHostPort(freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
