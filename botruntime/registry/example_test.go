package registry_test

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/botruntime/registry"
)

func Example() {
	reg := registry.New[string]("sessions")
	ctx, cancel := context.WithCancel(context.Background())
	reg.Register(ctx, "lobby", "alice")
	reg.Register(ctx, "lobby", "alice") // listed once
	unregister := reg.Register(context.Background(), "lobby", "bob")
	fmt.Println(reg.Members("lobby"))
	unregister()
	fmt.Println(reg.Members("lobby"))
	cancel() // alice's process stops
	fmt.Println(reg.Members("lobby"), reg.Members("unknown"))
	// Output:
	// [alice bob]
	// [alice]
	// [] []
}
