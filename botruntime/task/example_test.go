package task_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/patchbay/patchbay/botruntime/task"
)

func Example() {
	tasks, err := task.Build([]task.Spec{{
		Type: "command",
		Conf: json.RawMessage(`{"commands":{"hello":{"type":"reply","conf":{"template":"{{.settings.greeting}}, {{.message.user}}!"}}}}`),
	}})
	if err != nil {
		panic(err)
	}
	msg := map[string]string{"text": "!hello", "user": "alice"}
	for _, greeting := range []string{"Hello", "Howdy"} { // settings are read on every run
		results, err := task.Run(context.Background(), tasks, msg, map[string]any{"greeting": greeting})
		if err != nil {
			panic(err)
		}
		fmt.Println(task.Reply(results))
	}
	// Output:
	// Hello, alice!
	// Howdy, alice!
}
