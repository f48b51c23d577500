package host

// The built-in connector types register themselves when imported.
import (
	_ "github.com/patchbay/patchbay/botruntime/connector/console"
	_ "github.com/patchbay/patchbay/botruntime/connector/irc"
	_ "github.com/patchbay/patchbay/botruntime/connector/natsconn"
	_ "github.com/patchbay/patchbay/botruntime/connector/slack"
)
