package hashchain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetworkImports fails when hashchain, directly or through a
// dependency, imports NATS or any network package: hashchain must stay pure.
func TestNoNetworkImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/patchbay/patchbay/hashchain").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list printed no dependencies")
	}
	forbidden := []string{"net", "github.com/nats-io/", "os/exec", "crypto/tls", "syscall/js"}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
				t.Errorf("hashchain depends on %s; it must not import NATS or the network", d)
			}
		}
	}
}
