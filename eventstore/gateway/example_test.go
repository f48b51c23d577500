package gateway_test

import (
	"fmt"

	"github.com/patchbay/patchbay/eventstore/gateway"
)

// Ordinary channels travel between gateways on NATS subjects built with
// EscapeChannel; Match is Redis's glob matcher for PSUBSCRIBE patterns.
func ExampleEscapeChannel() {
	fmt.Println(gateway.ChannelSubjectPrefix + gateway.EscapeChannel("news.uk"))
	fmt.Println(gateway.ChannelSubjectPrefix + gateway.EscapeChannel("chat room/1"))
	ch, _ := gateway.UnescapeChannel("chat%20room%2F1")
	fmt.Println(ch)
	fmt.Println(gateway.Match("updates:*", "updates:0123456789abcdef"), gateway.Match("h[^e]llo", "hello"))
	// Output:
	// redis.chan.news%2Euk
	// redis.chan.chat%20room%2F1
	// chat room/1
	// true false
}
