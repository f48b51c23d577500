package resp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// chunkReader returns its data in pieces whose sizes come from splits.
type chunkReader struct {
	data   []byte
	splits []byte
	i      int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.splits) > 0 {
		n = int(c.splits[c.i%len(c.splits)]) + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

type parsed struct {
	cmds [][][]byte
	err  string
}

func parseAll(r io.Reader, unauth bool) parsed {
	rd := NewReader(r)
	rd.MaxBulk = 1 << 20
	rd.MaxArgs = 1 << 12
	rd.Unauthenticated = unauth
	var p parsed
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			p.err = err.Error()
			return p
		}
		p.cmds = append(p.cmds, args)
	}
}

func FuzzParser(f *testing.F) {
	seeds := []string{
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$7\r\nPUBLISH\r\n$4\r\nchan\r\n$5\r\nhello\r\n",
		"PING\r\nECHO \"a\\x41\\n\" 'b\\'c'\r\n",
		"*0\r\n*-1\r\n\r\nPING\n",
		"*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\n",
		"*x\r\n", "*1\r\n$x\r\n", "*1\r\n+a\r\n", "\"abc\r\n", "*3000000000\r\n",
		"SUBSCRIBE a b\r\nUNSUBSCRIBE\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{0, 3, 7}, false)
		f.Add([]byte(s), []byte{255}, true)
	}
	f.Fuzz(func(t *testing.T, data, splits []byte, unauth bool) {
		whole := parseAll(bytes.NewReader(data), unauth)
		pieces := parseAll(&chunkReader{data: data, splits: splits}, unauth)
		if !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("split parse differs:\nwhole  %q\npieces %q", whole, pieces)
		}
		for _, cmd := range whole.cmds {
			if len(cmd) == 0 || len(cmd) > 1<<12 {
				t.Fatalf("command with %d args", len(cmd))
			}
			for _, a := range cmd {
				if len(a) > 1<<20 || (unauth && len(a) > UnauthMaxBulk) {
					t.Fatalf("argument of %d bytes passed the limit", len(a))
				}
			}
		}
	})
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name, in, want string
		unauth         bool
	}{
		{"multibulk count not a number", "*x\r\n", "Protocol error: invalid multibulk length", false},
		{"multibulk count too large", "*3000000000\r\n", "Protocol error: invalid multibulk length", false},
		{"multibulk count over limit", "*5000\r\n", "Protocol error: invalid multibulk length", false},
		{"multibulk count with plus", "*+1\r\n", "Protocol error: invalid multibulk length", false},
		{"bulk length not a number", "*1\r\n$x\r\n", "Protocol error: invalid bulk length", false},
		{"bulk length negative", "*1\r\n$-1\r\n", "Protocol error: invalid bulk length", false},
		{"bulk length over limit", "*1\r\n$600000000\r\n", "Protocol error: invalid bulk length", false},
		{"bulk length over configured", "*1\r\n$2000000\r\n", "Protocol error: invalid bulk length", false},
		{"not a bulk", "*1\r\n+a\r\n", "Protocol error: expected '$', got '+'", false},
		{"unbalanced double quote", "\"abc\r\n", "Protocol error: unbalanced quotes in request", false},
		{"unbalanced single quote", "SET 'abc\r\n", "Protocol error: unbalanced quotes in request", false},
		{"closing quote glued", "ECHO \"a\"b\r\n", "Protocol error: unbalanced quotes in request", false},
		{"inline too long", strings.Repeat("a", MaxInline+10) + "\r\n", "Protocol error: too big inline request", false},
		{"mbulk line too long", "*" + strings.Repeat("1", MaxInline+10) + "\r\n", "Protocol error: too big mbulk count string", false},
		{"unauthenticated count", "*20\r\n", "Protocol error: unauthenticated multibulk length", true},
		{"unauthenticated bulk", "*2\r\n$20000\r\n", "Protocol error: unauthenticated bulk length", true},
		{"truncated", "*2\r\n$4\r\nECHO\r\n$3\r\nab", "unexpected EOF", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseAll(strings.NewReader(tt.in), tt.unauth)
			if p.err != tt.want {
				t.Fatalf("got error %q, want %q", p.err, tt.want)
			}
		})
	}
	var pe *ProtocolError
	_, err := NewReader(strings.NewReader("*x\r\n")).ReadCommand()
	if !errors.As(err, &pe) || !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v, want a *ProtocolError wrapping ErrProtocol", err)
	}
}

func TestWellFormed(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][]string
	}{
		{"multibulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [][]string{{"ECHO", ""}}},
		{"empty commands skipped", "*0\r\n*-1\r\n\r\n  \r\nPING\r\n", [][]string{{"PING"}}},
		{"crlf not checked", "*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\n", [][]string{{"ECHO", "abc"}, {"PING"}}},
		{"inline quoting", "SET \"a b\\x41\\n\" 'c\\'d' \"\"\n", [][]string{{"SET", "a bA\n", "c'd", ""}}},
		{"inline lf only", "PING\nPING\n", [][]string{{"PING"}, {"PING"}}},
		{"binary bulk", "*1\r\n$3\r\n\x00\r\n\r\n", [][]string{{"\x00\r\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseAll(strings.NewReader(tt.in), false)
			var got [][]string
			for _, c := range p.cmds {
				var s []string
				for _, a := range c {
					s = append(s, string(a))
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tt.want) || p.err != "EOF" {
				t.Fatalf("got %q (err %s), want %q", got, p.err, tt.want)
			}
		})
	}
}

func TestWriter(t *testing.T) {
	for _, proto := range []int{2, 3} {
		w := Writer{Proto: proto}
		w.Push(3)
		w.BulkString("message")
		w.Null()
		w.Map(1)
		w.Simple("OK")
		w.Error("ERR a\r\nb")
		w.Int(-7)
		w.Verbatim("x")
		w.NullArray()
		want := map[int]string{
			2: "*3\r\n$7\r\nmessage\r\n$-1\r\n*2\r\n+OK\r\n-ERR a  b\r\n:-7\r\n$1\r\nx\r\n*-1\r\n",
			3: ">3\r\n$7\r\nmessage\r\n_\r\n%1\r\n+OK\r\n-ERR a  b\r\n:-7\r\n=5\r\ntxt:x\r\n_\r\n",
		}[proto]
		if string(w.Buf) != want {
			t.Errorf("RESP%d: got %q, want %q", proto, w.Buf, want)
		}
	}
}
