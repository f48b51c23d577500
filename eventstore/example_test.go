package eventstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/patchbay/patchbay/eventstore"
)

// Example starts an embedded node and a store, creates a config, patches it
// and reads the head back, all over NATS.
func Example() {
	dir, _ := os.MkdirTemp("", "patchbay-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close()
	store, err := eventstore.Open(ctx, node.Conn(), eventstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	c := eventstore.NewClient(node.Conn())
	cr, _ := c.Create(ctx, []byte(`{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`))
	fmt.Println("root", cr.Root, "created", cr.Created)
	pr, _ := c.Submit(ctx, cr.Root, []byte(`[{"op":"add","path":"/nick","value":"patchbot"}]`))
	fmt.Println("seq", pr.Seq)
	_, err = c.Submit(ctx, cr.Root, []byte(`[{"op":"add","path":"/nick","value":"late"}]`))
	fmt.Println(err.(*eventstore.RefusedError).Code)
	head, _ := c.Head(ctx, cr.Root)
	fmt.Println(string(head.Config))
	// Output:
	// root a79b89636cf25d62 created true
	// seq 1
	// stale
	// {"channel":"#lobby","nick":"patchbot","platform":"irc","server":"127.0.0.1:6667"}
}
