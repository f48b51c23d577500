package gateway

import (
	"regexp"
	"strings"
	"testing"
)

// compatScripts are sent byte for byte to a real redis-server and to the
// gateway; the replies must be identical (after masking the client id and
// server version in HELLO replies). Each ends by closing the connection.
var compatScripts = []struct{ name, in string }{
	{"unknown command", "FOO a b\r\nFOO\r\nfoO 'x y'\r\nQUIT\r\n"},
	{"arity", "GET\r\nECHO\r\nECHO a b\r\nPING a b\r\nSUBSCRIBE\r\nPSUBSCRIBE\r\nPUBLISH a\r\nQUIT\r\n"},
	{"subcommand errors", "CLIENT SETNAME\r\nCLIENT FOO\r\nPUBSUB FOO\r\nCLIENT SETNAME \"a b\"\r\nCLIENT GETNAME\r\nCLIENT SETNAME me\r\nCLIENT GETNAME\r\nQUIT\r\n"},
	{"unsubscribe with nothing subscribed", "UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE a b\r\nPUNSUBSCRIBE x*\r\nQUIT\r\n"},
	{"resp2 subscribed mode", "SUBSCRIBE a\r\nGET x\r\nPING\r\nPING x\r\nFOO\r\nCLIENT ID\r\nPUBLISH a b\r\nUNSUBSCRIBE\r\nPING\r\nQUIT\r\n"},
	{"running counts", "PSUBSCRIBE p*\r\nUNSUBSCRIBE\r\nSUBSCRIBE a b a\r\nPSUBSCRIBE q? p*\r\nUNSUBSCRIBE b\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE p* zz\r\nPUNSUBSCRIBE\r\nPING\r\nQUIT\r\n"},
	{"message then pmessage", "SUBSCRIBE news\r\nPSUBSCRIBE n*\r\nPSUBSCRIBE *s\r\nQUIT\r\n"},
	{"hello", "HELLO 4\r\nHELLO x\r\nHELLO 2 SETNAME\r\nHELLO 3 FOO\r\nHELLO 3\r\nHELLO 2 SETNAME bob\r\nCLIENT GETNAME\r\nQUIT\r\n"},
	{"resp3 subscribed", "HELLO 3\r\nSUBSCRIBE a\r\nPING\r\nGET x\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nQUIT\r\n"},
	{"resp3 publish to self", "HELLO 3\r\nSUBSCRIBE a\r\nPSUBSCRIBE a*\r\nPUBLISH a hi\r\nPUBLISH ab x\r\nUNSUBSCRIBE a\r\nPUBLISH a no\r\nHELLO 2\r\nPUBLISH a resp2\r\nQUIT\r\n"},
	{"select and readonly", "SELECT 0\r\nSELECT 20\r\nSELECT x\r\nQUIT\r\n"},
	{"pubsub introspection", "PUBSUB NUMSUB a b\r\nPUBSUB NUMPAT\r\nPUBSUB CHANNELS\r\nPUBSUB CHANNELS x*\r\nPUBSUB NUMSUB\r\nQUIT\r\n"},
	{"empty commands", "*-1\r\n*0\r\n\r\n  \r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\nQUIT\r\n"},
	{"inline quoting", "ECHO \"a\\x41\\n\\\"\" \r\nECHO 'it\\'s'\r\nQUIT\r\n"},
	{"auth without password", "AUTH x\r\nAUTH a b\r\nAUTH default anything\r\nQUIT\r\n"},
	{"reset", "HELLO 3\r\nSUBSCRIBE a\r\nRESET\r\nPING\r\nGET x\r\nQUIT\r\n"},
	{"protocol error bulk", "PING\r\n*1\r\n$x\r\n"},
	{"protocol error multibulk", "*x\r\n"},
	{"protocol error expected dollar", "*1\r\n+a\r\n"},
	{"protocol error quotes", "\"abc\r\n"},
	{"protocol error big count", "*3000000000\r\n"},
	{"protocol error negative bulk", "*1\r\n$-1\r\n"},
	{"protocol error huge bulk", "*1\r\n$600000000\r\n"},
}

var maskHello = regexp.MustCompile(`(\$2\r\nid\r\n):\d+|(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*`)

func mask(s string) string {
	return maskHello.ReplaceAllString(s, "${1}${2}X")
}

func runScript(t *testing.T, addr, in string) string {
	t.Helper()
	c := dialRaw(t, addr)
	c.send(in)
	return mask(c.readAll())
}

// TestCompatWithRedis is a differential test: the same bytes to the real
// redis-server and to the gateway must produce the same replies.
func TestCompatWithRedis(t *testing.T) {
	redisAddr := startRedis(t)
	_, nc := startNATS(t)
	gwAddr, _ := startGateway(t, nc, Options{})
	for _, sc := range compatScripts {
		t.Run(sc.name, func(t *testing.T) {
			want := runScript(t, redisAddr, sc.in)
			got := runScript(t, gwAddr, sc.in)
			if got != want {
				t.Fatalf("gateway replied\n%q\nredis-server replied\n%q", got, want)
			}
		})
	}
}

// TestCompatAuthWithRedis compares the authentication behaviour with a
// redis-server started with requirepass.
func TestCompatAuthWithRedis(t *testing.T) {
	redisAddr := startRedis(t, "--requirepass", "sec")
	_, nc := startNATS(t)
	gwAddr, _ := startGateway(t, nc, Options{Password: "sec"})
	scripts := []string{
		"PING\r\nHELLO 3\r\nCLIENT ID\r\nSUBSCRIBE a\r\nFOO\r\nQUIT\r\n",
		"AUTH bad\r\nAUTH sec\r\nPING\r\nQUIT\r\n",
		"AUTH default sec\r\nPING\r\nRESET\r\nPING\r\nQUIT\r\n",
		"HELLO 3 AUTH default bad\r\nHELLO 3 AUTH default sec\r\nPING\r\nQUIT\r\n",
		"*20\r\n",
		"*2\r\n$20000\r\n",
		"AUTH sec\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n" + strings.Repeat("x", 20000) + "\r\nQUIT\r\n",
	}
	for i, in := range scripts {
		want := runScript(t, redisAddr, in)
		got := runScript(t, gwAddr, in)
		if got != want {
			t.Errorf("script %d %q:\ngateway %q\nredis   %q", i, in, got, want)
		}
	}
}

// TestMessageOrderAndCounts checks deliveries byte for byte against
// redis-server: message before pmessage, counts as Redis counts them.
func TestMessageOrderAndCounts(t *testing.T) {
	redisAddr := startRedis(t)
	_, nc := startNATS(t)
	gwAddr, _ := startGateway(t, nc, Options{})
	for _, addr := range []string{redisAddr, gwAddr} {
		sub := dialRaw(t, addr)
		sub.send("SUBSCRIBE news\r\nPSUBSCRIBE n* *s\r\n")
		sub.expect("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\n*s\r\n:3\r\n")
		pub := dialRaw(t, addr)
		pub.send("PUBLISH news hi\r\nPUBLISH nope x\r\nPUBLISH zzz y\r\n")
		pub.expect(":3\r\n:1\r\n:0\r\n")
		msg := "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
		p1 := "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
		p2 := "*4\r\n$8\r\npmessage\r\n$2\r\n*s\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
		sub.expect(msg)
		// Redis's pattern order is its dict order; accept either for the two pmessages.
		rest := make([]byte, len(p1)+len(p2))
		sub.expect("") // no-op, keeps deadline
		_ = sub.c.SetReadDeadline(deadline())
		if _, err := ioReadFull(sub, rest); err != nil {
			t.Fatal(err)
		}
		if s := string(rest); s != p1+p2 && s != p2+p1 {
			t.Fatalf("%s: got %q", addr, s)
		}
		sub.expect("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnope\r\n$1\r\nx\r\n")
		sub.send("UNSUBSCRIBE news\r\n")
		sub.expect("*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:2\r\n")
		pub.send("PUBLISH news again\r\n")
		pub.expect(":2\r\n")
		got := make([]byte, 2*len("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nagain\r\n"))
		if _, err := ioReadFull(sub, got); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), "message\r\n$4\r\nnews") && !strings.Contains(string(got), "pmessage") {
			t.Fatalf("message after unsubscribe: %q", got)
		}
		if strings.Count(string(got), "$8\r\npmessage") != 2 {
			t.Fatalf("%s: got %q, want two pmessages", addr, got)
		}
	}
}
