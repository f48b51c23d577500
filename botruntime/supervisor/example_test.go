package supervisor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/patchbay/patchbay/botruntime/supervisor"
)

func printEvent(e supervisor.Event) {
	fmt.Println(e.Supervisor+":", e.Kind, e.Child)
}

func idle(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// A connector that loses its connection once is restarted; Stop stops the
// children in reverse start order.
func Example() {
	runs := 0
	ready := make(chan struct{})
	connector := func(ctx context.Context) error {
		runs++ // runs are sequential: the supervisor starts one after the other's exit
		if runs == 1 {
			return errors.New("lost connection")
		}
		close(ready)
		<-ctx.Done()
		return nil
	}
	sup, err := supervisor.New(supervisor.Options{Name: "bot", OnEvent: printEvent},
		supervisor.ChildSpec{ID: "follower", Start: supervisor.StartServeFunc(idle)},
		supervisor.ChildSpec{ID: "connector", Start: supervisor.StartServeFunc(connector)},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := sup.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	<-ready
	fmt.Println("stop:", sup.Stop())
	// Output:
	// bot: started follower
	// bot: started connector
	// bot: exited connector
	// bot: restart connector
	// bot: started connector
	// bot: stopped connector
	// bot: stopped follower
	// stop: <nil>
}

// A tree: a root supervisor with a dynamic fleet of bots beneath it.
func Example_nested() {
	ctx := context.Background()
	bot := supervisor.ChildSpec{ID: "bot", Restart: supervisor.Transient,
		Start: func(args ...any) (supervisor.Service, error) {
			if _, ok := args[0].(string); !ok {
				return nil, errors.New("bot: want a name")
			}
			return supervisor.ServiceFunc(idle), nil
		}}
	fleet, _ := supervisor.New(supervisor.Options{Name: "fleet", Strategy: supervisor.SimpleOneForOne}, bot)
	root, err := supervisor.New(supervisor.Options{Name: "host", Strategy: supervisor.OneForAll},
		supervisor.ChildSpec{ID: "endpoint", Start: supervisor.StartServeFunc(idle)},
		supervisor.ChildSpec{ID: "fleet", Kind: supervisor.KindSupervisor, Start: supervisor.StartService(fleet)},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := root.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer root.Stop()
	for _, name := range []string{"alice", "bob"} {
		id, _ := fleet.StartChildArgs(ctx, name)
		fmt.Println("started", id, "for", name)
	}
	children, _ := root.WhichChildren(ctx)
	for _, c := range children {
		fmt.Println(c.ID, c.Kind, c.State)
	}
	n, _ := fleet.CountChildren(ctx)
	fmt.Printf("fleet: %d specs, %d active\n", n.Specs, n.Active)
	// Output:
	// started bot-1 for alice
	// started bot-2 for bob
	// endpoint worker running
	// fleet supervisor running
	// fleet: 2 specs, 2 active
}
