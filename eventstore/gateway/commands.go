package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// command describes one supported command. arity follows Redis: n > 0
// means exactly n arguments (name included), n < 0 at least -n.
type command struct {
	name    string
	arity   int
	flags   []string
	noAuth  bool // allowed before authentication
	subOK   bool // allowed in RESP2 subscribed mode
	summary string
	group   string
	run     func(c *client, ctx context.Context, args [][]byte)
}

var commands map[string]*command

func init() {
	list := []*command{
		{name: "ping", arity: -1, flags: []string{"fast", "stale"}, subOK: true, summary: "Returns the server's liveliness response.", group: "connection", run: (*client).cmdPing},
		{name: "echo", arity: 2, flags: []string{"fast"}, summary: "Returns the given string.", group: "connection", run: (*client).cmdEcho},
		{name: "quit", arity: -1, flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, noAuth: true, subOK: true, summary: "Closes the connection.", group: "connection", run: (*client).cmdQuit},
		{name: "reset", arity: 1, flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, noAuth: true, subOK: true, summary: "Resets the connection.", group: "connection", run: (*client).cmdReset},
		{name: "hello", arity: -1, flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, noAuth: true, summary: "Handshakes with the Redis server.", group: "connection", run: (*client).cmdHello},
		{name: "auth", arity: -2, flags: []string{"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, noAuth: true, summary: "Authenticates the connection.", group: "connection", run: (*client).cmdAuth},
		{name: "client", arity: -2, flags: []string{}, summary: "A container for client connection commands.", group: "connection", run: (*client).cmdClient},
		{name: "select", arity: 2, flags: []string{"loading", "stale", "fast"}, summary: "Changes the selected database (only 0 exists).", group: "connection", run: (*client).cmdSelect},
		{name: "readonly", arity: 1, flags: []string{"loading", "stale", "fast"}, summary: "Accepted for cluster clients; every key is read-only.", group: "cluster", run: func(c *client, _ context.Context, _ [][]byte) { c.reply.Simple("OK") }},
		{name: "info", arity: -1, flags: []string{"loading", "stale"}, summary: "Returns information and statistics about the server.", group: "server", run: (*client).cmdInfo},
		{name: "command", arity: -1, flags: []string{"loading", "stale"}, summary: "Returns detailed information about all commands.", group: "server", run: (*client).cmdCommand},
		{name: "subscribe", arity: -2, flags: []string{"pubsub", "noscript", "loading", "stale"}, subOK: true, summary: "Listens for messages published to channels.", group: "pubsub", run: (*client).cmdSubscribe},
		{name: "unsubscribe", arity: -1, flags: []string{"pubsub", "noscript", "loading", "stale"}, subOK: true, summary: "Stops listening to messages posted to channels.", group: "pubsub", run: (*client).cmdUnsubscribe},
		{name: "psubscribe", arity: -2, flags: []string{"pubsub", "noscript", "loading", "stale"}, subOK: true, summary: "Listens for messages published to channels that match one or more patterns.", group: "pubsub", run: (*client).cmdPsubscribe},
		{name: "punsubscribe", arity: -1, flags: []string{"pubsub", "noscript", "loading", "stale"}, subOK: true, summary: "Stops listening to messages published to channels that match one or more patterns.", group: "pubsub", run: (*client).cmdPunsubscribe},
		{name: "publish", arity: 3, flags: []string{"pubsub", "loading", "stale", "fast"}, summary: "Posts a message to a channel; on updates:<hash> and update_requests it talks to the store.", group: "pubsub", run: (*client).cmdPublish},
		{name: "pubsub", arity: -2, flags: []string{}, summary: "A container for Pub/Sub commands.", group: "pubsub", run: (*client).cmdPubsub},
		{name: "get", arity: 2, flags: []string{"readonly", "fast"}, summary: "Returns head:<root>, patch:<hash> or config:<hash> from the store; nil for anything else.", group: "string", run: (*client).cmdGet},
	}
	for _, name := range []string{"set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mset", "msetnx", "append", "incr", "decr", "incrby", "decrby", "incrbyfloat", "del", "unlink", "expire", "pexpire", "expireat", "pexpireat", "persist", "rename", "renamenx", "copy", "move", "restore", "flushdb", "flushall"} {
		list = append(list, &command{name: name, arity: -1, flags: []string{"write"}, summary: "Refused: Patchbay keys are read-only.", group: "string", run: (*client).cmdReadOnly})
	}
	commands = make(map[string]*command, len(list))
	for _, cmd := range list {
		commands[cmd.name] = cmd
	}
}

// fullName is the command's name for error texts: "client|setname" for
// container subcommands, as Redis 7 writes it.
func fullName(cmd *command, args [][]byte) string {
	switch cmd.name {
	case "client", "pubsub", "command":
		if len(args) >= 2 {
			return cmd.name + "|" + strings.ToLower(string(args[1]))
		}
	}
	return cmd.name
}

func (c *client) arityError(name string) {
	c.reply.Error("ERR wrong number of arguments for '" + name + "' command")
}

func (c *client) exec(ctx context.Context, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	cmd := commands[name]
	if cmd == nil {
		var b strings.Builder
		for _, a := range args[1:] {
			if b.Len() >= 128 {
				break
			}
			fmt.Fprintf(&b, "'%s' ", truncate(a, 128-b.Len()))
		}
		c.reply.Error(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", truncate(args[0], 128), b.String()))
		return
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || (cmd.arity < 0 && len(args) < -cmd.arity) {
		c.arityError(cmd.name)
		return
	}
	c.mu.Lock()
	authed := c.authed
	c.lastCmd = fullName(cmd, args)
	c.lastUse = time.Now()
	c.mu.Unlock()
	if !authed && !cmd.noAuth {
		c.reply.Error("NOAUTH Authentication required.")
		return
	}
	if c.proto() == 2 && !cmd.subOK {
		if n, p := c.s.hub.subCounts(c); n+p > 0 {
			c.reply.Error("ERR Can't execute '" + fullName(cmd, args) + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
			return
		}
	}
	cmd.run(c, ctx, args)
}

func truncate(b []byte, n int) []byte {
	if n < 0 {
		n = 0
	}
	if len(b) > n {
		return b[:n]
	}
	return b
}

func (c *client) cmdPing(_ context.Context, args [][]byte) {
	if len(args) > 2 {
		c.arityError("ping")
		return
	}
	if c.proto() == 2 {
		if n, p := c.s.hub.subCounts(c); n+p > 0 {
			c.reply.Array(2)
			c.reply.BulkString("pong")
			if len(args) == 2 {
				c.reply.Bulk(args[1])
			} else {
				c.reply.BulkString("")
			}
			return
		}
	}
	if len(args) == 2 {
		c.reply.Bulk(args[1])
		return
	}
	c.reply.Simple("PONG")
}

func (c *client) cmdEcho(_ context.Context, args [][]byte) { c.reply.Bulk(args[1]) }

func (c *client) cmdQuit(_ context.Context, _ [][]byte) {
	c.reply.Simple("OK")
	c.quit = true
}

func (c *client) cmdReset(_ context.Context, _ [][]byte) {
	c.s.hub.removeAll(c)
	c.protoV.Store(2)
	c.mu.Lock()
	c.name = ""
	c.authed = !c.s.authRequired()
	c.user = "default"
	c.mu.Unlock()
	c.reply.Proto = 2
	c.reply.Simple("RESET")
}

// checkUser reports whether user/pass is a valid pair, comparing SHA-256
// digests in constant time so neither the password nor its length leaks
// through timing. A failure is counted.
func (s *Server) checkUser(user, pass string) bool {
	if user == "default" && !s.authRequired() {
		return true // nopass default user, as in Redis
	}
	got := sha256.Sum256([]byte(pass))
	ok := 0
	if user == "default" && s.opts.Password != "" {
		want := sha256.Sum256([]byte(s.opts.Password))
		ok |= subtle.ConstantTimeCompare(want[:], got[:])
	}
	if w, found := s.opts.Users[user]; found {
		want := sha256.Sum256([]byte(w))
		ok |= subtle.ConstantTimeCompare(want[:], got[:])
	}
	if want, found := s.opts.UserDigests[user]; found {
		ok |= subtle.ConstantTimeCompare(want[:], got[:])
	}
	if ok != 1 {
		s.authFailures.Add(1)
		return false
	}
	return true
}

func (c *client) login(user string) {
	c.mu.Lock()
	c.authed = true
	c.user = user
	c.mu.Unlock()
}

func (c *client) cmdAuth(_ context.Context, args [][]byte) {
	switch len(args) {
	case 2:
		if !c.s.authRequired() {
			c.reply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
		if !c.s.checkUser("default", string(args[1])) {
			c.reply.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
		c.login("default")
	case 3:
		if !c.s.checkUser(string(args[1]), string(args[2])) {
			c.reply.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
		c.login(string(args[1]))
	default:
		c.reply.Error("ERR syntax error")
		return
	}
	c.reply.Simple("OK")
}

func validName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func (c *client) cmdHello(_ context.Context, args [][]byte) {
	ver := c.proto()
	if len(args) >= 2 {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			c.reply.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.reply.Error("NOPROTO unsupported protocol version")
			return
		}
		ver = int(v)
	}
	var user, pass, name []byte
	hasAuth, hasName := false, false
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "auth" && more >= 2:
			user, pass, hasAuth = args[j+1], args[j+2], true
			j += 2
		case opt == "setname" && more >= 1:
			name, hasName = args[j+1], true
			j++
		default:
			c.reply.Error("ERR Syntax error in HELLO option '" + string(args[j]) + "'")
			return
		}
	}
	if hasAuth {
		if !c.s.checkUser(string(user), string(pass)) {
			c.reply.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
		c.login(string(user))
	}
	if !c.isAuthed() {
		c.reply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if hasName {
		if !validName(name) {
			c.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.mu.Lock()
		c.name = string(name)
		c.mu.Unlock()
	}
	c.protoV.Store(int32(ver))
	c.reply.Proto = ver
	c.reply.Map(7)
	c.reply.BulkString("server")
	c.reply.BulkString("redis")
	c.reply.BulkString("version")
	c.reply.BulkString(RedisVersion)
	c.reply.BulkString("proto")
	c.reply.Int(int64(ver))
	c.reply.BulkString("id")
	c.reply.Int(c.id)
	c.reply.BulkString("mode")
	c.reply.BulkString("standalone")
	c.reply.BulkString("role")
	c.reply.BulkString("master")
	c.reply.BulkString("modules")
	c.reply.Array(0)
}

func (c *client) cmdSelect(_ context.Context, args [][]byte) {
	n, err := strconv.ParseInt(string(args[1]), 10, 64)
	switch {
	case err != nil:
		c.reply.Error("ERR value is not an integer or out of range")
	case n != 0:
		c.reply.Error("ERR DB index is out of range")
	default:
		c.reply.Simple("OK")
	}
}

func (c *client) cmdClient(_ context.Context, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	full := "client|" + sub
	switch sub {
	case "id":
		if len(args) != 2 {
			c.arityError(full)
			return
		}
		c.reply.Int(c.id)
	case "getname":
		if len(args) != 2 {
			c.arityError(full)
			return
		}
		c.mu.Lock()
		name := c.name
		c.mu.Unlock()
		if name == "" {
			c.reply.Null()
		} else {
			c.reply.BulkString(name)
		}
	case "setname":
		if len(args) != 3 {
			c.arityError(full)
			return
		}
		if !validName(args[2]) {
			c.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.mu.Lock()
		c.name = string(args[2])
		c.mu.Unlock()
		c.reply.Simple("OK")
	case "setinfo":
		if len(args) != 4 {
			c.arityError(full)
			return
		}
		attr := strings.ToLower(string(args[2]))
		if attr != "lib-name" && attr != "lib-ver" {
			c.reply.Error("ERR Unrecognized option '" + string(args[2]) + "'")
			return
		}
		if !validName(args[3]) {
			c.reply.Error("ERR " + attr + " cannot contain spaces, newlines or special characters.")
			return
		}
		c.mu.Lock()
		if attr == "lib-name" {
			c.libName = string(args[3])
		} else {
			c.libVer = string(args[3])
		}
		c.mu.Unlock()
		c.reply.Simple("OK")
	case "list":
		c.s.mu.Lock()
		all := make([]*client, 0, len(c.s.clients))
		for o := range c.s.clients {
			all = append(all, o)
		}
		c.s.mu.Unlock()
		slices.SortFunc(all, func(a, b *client) int { return int(a.id - b.id) })
		var b strings.Builder
		for _, o := range all {
			b.WriteString(o.infoLine())
		}
		c.reply.Verbatim(b.String())
	case "info":
		if len(args) != 2 {
			c.arityError(full)
			return
		}
		c.reply.Verbatim(c.infoLine())
	case "no-evict", "no-touch":
		c.reply.Simple("OK")
	default:
		c.reply.Error("ERR unknown subcommand '" + string(args[1]) + "'. Try CLIENT HELP.")
	}
}

// infoLine is the client's CLIENT LIST line, in Redis's field order.
func (c *client) infoLine() string {
	subs, psubs := c.s.hub.subCounts(c)
	c.mu.Lock()
	defer c.mu.Unlock()
	flags := "N"
	if subs+psubs > 0 {
		flags = "P"
	}
	now := time.Now()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%d tot-mem=%d events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s\n",
		c.id, c.conn.RemoteAddr(), c.conn.LocalAddr(), c.name, int(now.Sub(c.created).Seconds()), int(now.Sub(c.lastUse).Seconds()),
		flags, subs, psubs, len(c.out)+c.inflight, len(c.out)+c.inflight, c.lastCmd, c.user, c.proto(), c.libName, c.libVer)
}

func (c *client) cmdInfo(_ context.Context, args [][]byte) {
	sections := map[string]bool{}
	for _, a := range args[1:] {
		sections[strings.ToLower(string(a))] = true
	}
	all := len(sections) == 0 || sections["all"] || sections["everything"] || sections["default"]
	st := c.s.Stats()
	var b strings.Builder
	add := func(name string, lines ...string) {
		if !all && !sections[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	port := ""
	c.s.mu.Lock()
	if c.s.addr != nil {
		if _, p, err := splitHostPort(c.s.addr.String()); err == nil {
			port = p
		}
	}
	c.s.mu.Unlock()
	up := time.Since(c.s.started)
	add("Server",
		"redis_version:"+RedisVersion,
		"redis_mode:standalone",
		"patchbay_gateway:1",
		"os:"+runtime.GOOS+" "+runtime.GOARCH,
		"arch_bits:64",
		"go_version:"+runtime.Version(),
		fmt.Sprintf("process_id:%d", os.Getpid()),
		"run_id:"+c.s.id,
		"tcp_port:"+port,
		fmt.Sprintf("uptime_in_seconds:%d", int(up.Seconds())),
		fmt.Sprintf("uptime_in_days:%d", int(up.Hours()/24)))
	add("Clients",
		fmt.Sprintf("connected_clients:%d", st.Clients),
		fmt.Sprintf("maxclients:%d", c.s.opts.MaxClients),
		fmt.Sprintf("pubsub_clients_output_limit:%d %d %d", c.s.limit.Hard, c.s.limit.Soft, int(c.s.limit.SoftFor.Seconds())))
	add("Stats",
		fmt.Sprintf("total_connections_received:%d", st.Connections),
		fmt.Sprintf("total_commands_processed:%d", st.Commands),
		fmt.Sprintf("rejected_connections:%d", st.RejectedMaxClients),
		fmt.Sprintf("client_output_buffer_limit_disconnections:%d", st.OutputLimitDisconnect),
		fmt.Sprintf("total_error_replies_protocol:%d", st.ProtocolErrors),
		fmt.Sprintf("pubsub_channels:%d", st.Channels),
		fmt.Sprintf("pubsub_patterns:%d", st.Patterns),
		fmt.Sprintf("pubsub_messages_delivered:%d", st.Messages))
	add("Keyspace")
	c.reply.Verbatim(b.String())
}

func splitHostPort(s string) (string, string, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", fmt.Errorf("no port in %q", s)
	}
	return s[:i], s[i+1:], nil
}

func sortedCommands() []*command {
	all := make([]*command, 0, len(commands))
	for _, cmd := range commands {
		all = append(all, cmd)
	}
	slices.SortFunc(all, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return all
}

func (c *client) writeCommandInfo(cmd *command) {
	w := &c.reply
	w.Array(10)
	w.BulkString(cmd.name)
	w.Int(int64(cmd.arity))
	w.Set(len(cmd.flags))
	for _, f := range cmd.flags {
		w.Simple(f)
	}
	w.Int(0)
	w.Int(0)
	w.Int(0)
	w.Set(0)
	w.Set(0)
	w.Array(0)
	w.Array(0)
}

func (c *client) cmdCommand(_ context.Context, args [][]byte) {
	if len(args) == 1 {
		all := sortedCommands()
		c.reply.Array(len(all))
		for _, cmd := range all {
			c.writeCommandInfo(cmd)
		}
		return
	}
	sub := strings.ToLower(string(args[1]))
	switch sub {
	case "count":
		if len(args) != 2 {
			c.arityError("command|count")
			return
		}
		c.reply.Int(int64(len(commands)))
	case "list":
		all := sortedCommands()
		c.reply.Array(len(all))
		for _, cmd := range all {
			c.reply.BulkString(cmd.name)
		}
	case "info":
		c.reply.Array(len(args) - 2)
		for _, a := range args[2:] {
			if cmd := commands[strings.ToLower(string(a))]; cmd != nil {
				c.writeCommandInfo(cmd)
			} else {
				c.reply.NullArray()
			}
		}
	case "docs":
		var list []*command
		if len(args) == 2 {
			list = sortedCommands()
		} else {
			for _, a := range args[2:] {
				if cmd := commands[strings.ToLower(string(a))]; cmd != nil {
					list = append(list, cmd)
				}
			}
		}
		c.reply.Map(len(list))
		for _, cmd := range list {
			c.reply.BulkString(cmd.name)
			c.reply.Map(3)
			c.reply.BulkString("summary")
			c.reply.BulkString(cmd.summary)
			c.reply.BulkString("since")
			c.reply.BulkString("1.0.0")
			c.reply.BulkString("group")
			c.reply.BulkString(cmd.group)
		}
	default:
		c.reply.Error("ERR unknown subcommand '" + string(args[1]) + "'. Try COMMAND HELP.")
	}
}

func (c *client) cmdSubscribe(_ context.Context, args [][]byte) {
	c.s.hub.subscribe(c, args[1:], false)
}

func (c *client) cmdPsubscribe(_ context.Context, args [][]byte) {
	c.s.hub.subscribe(c, args[1:], true)
}

func (c *client) cmdUnsubscribe(_ context.Context, args [][]byte) {
	c.s.hub.unsubscribe(c, args[1:], false)
}

func (c *client) cmdPunsubscribe(_ context.Context, args [][]byte) {
	c.s.hub.unsubscribe(c, args[1:], true)
}

func (c *client) cmdPubsub(_ context.Context, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	h := &c.s.hub
	switch sub {
	case "channels":
		if len(args) > 3 {
			c.arityError("pubsub|channels")
			return
		}
		h.mu.RLock()
		var names []string
		for name := range h.channels {
			if len(args) == 2 || Match(string(args[2]), name) {
				names = append(names, name)
			}
		}
		h.mu.RUnlock()
		slices.Sort(names)
		c.reply.Array(len(names))
		for _, n := range names {
			c.reply.BulkString(n)
		}
	case "numsub":
		c.reply.Map(len(args) - 2)
		h.mu.RLock()
		for _, a := range args[2:] {
			c.reply.Bulk(a)
			c.reply.Int(int64(len(h.channels[string(a)])))
		}
		h.mu.RUnlock()
	case "numpat":
		if len(args) != 2 {
			c.arityError("pubsub|numpat")
			return
		}
		h.mu.RLock()
		n := len(h.patterns)
		h.mu.RUnlock()
		c.reply.Int(int64(n))
	default:
		c.reply.Error("ERR unknown subcommand '" + string(args[1]) + "'. Try PUBSUB HELP.")
	}
}

func (c *client) cmdReadOnly(_ context.Context, args [][]byte) {
	c.reply.Error("ERR Patchbay keys are read-only: '" + strings.ToLower(string(args[0])) + "' is not supported; change a config with PUBLISH updates:<hash> <patch>")
}
