package compose_test

import (
	"fmt"

	"github.com/patchbay/patchbay/botruntime/compose"
)

func ExampleParse() {
	_, err := compose.Parse("bots.yaml", []byte(`bots:
  greeter:
    root: {platform: irc}
    connectors: [{name: irc, type: irc}]
    tasks: [{type: reply, conf: {template: hi}}]
    workers: {min_idle: 0}
`))
	fmt.Println(err)
	// Output:
	// bots.yaml:6:25: bots.greeter.workers.min_idle: minimum: got 0, want 1
}
