package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Default limits, the same as Redis 7's.
const (
	// DefaultMaxBulk is the largest bulk argument accepted (Redis's proto-max-bulk-len).
	DefaultMaxBulk = 512 << 20
	// DefaultMaxArgs is the largest multibulk count accepted.
	DefaultMaxArgs = 1024 * 1024
	// MaxInline is the longest inline command line, and the longest
	// multibulk or bulk count line (Redis's PROTO_INLINE_MAX_SIZE).
	MaxInline = 64 << 10
	// UnauthMaxArgs and UnauthMaxBulk are the limits Redis applies before a
	// client has authenticated.
	UnauthMaxArgs = 10
	UnauthMaxBulk = 16384
)

// ErrProtocol is wrapped by every *ProtocolError, so callers may test with
// errors.Is(err, resp.ErrProtocol).
var ErrProtocol = errors.New("protocol error")

// ProtocolError is malformed or over-limit input. Msg is the text Redis
// replies with, after "-ERR ", e.g. "Protocol error: invalid bulk length".
// After a ProtocolError the stream is out of sync: reply and close.
type ProtocolError struct{ Msg string }

// Error returns the text Redis replies with (without "ERR ").
func (e *ProtocolError) Error() string { return e.Msg }

// Unwrap returns ErrProtocol.
func (e *ProtocolError) Unwrap() error { return ErrProtocol }

func protoErr(msg string) error { return &ProtocolError{Msg: "Protocol error: " + msg} }

// Reader decodes commands from a client. Its zero value is not usable: call
// NewReader. Limits may be changed between calls to ReadCommand.
type Reader struct {
	br *bufio.Reader
	// MaxBulk is the largest bulk argument, MaxArgs the largest argument
	// count, MaxRequest the largest sum of argument lengths of one command
	// (0: no limit beyond MaxBulk*MaxArgs).
	MaxBulk, MaxArgs, MaxRequest int
	// Unauthenticated applies Redis's stricter pre-authentication limits
	// (10 arguments, 16 KiB per argument).
	Unauthenticated bool

	line []byte // scratch for lines longer than the bufio buffer
}

// NewReader returns a Reader over r with Redis's default limits.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 16<<10), MaxBulk: DefaultMaxBulk, MaxArgs: DefaultMaxArgs}
}

// Buffered reports how many bytes are already read from the connection but
// not yet decoded (pipelined commands).
func (r *Reader) Buffered() int { return r.br.Buffered() }

// readLine returns one line without its terminating "\n" (and a "\r" before
// it). A line longer than MaxInline yields tooLong. The slice is valid until
// the next read.
func (r *Reader) readLine(tooLong string) ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err == nil {
			if len(r.line) == 0 {
				if len(chunk) > MaxInline {
					return nil, protoErr(tooLong)
				}
				return trimEOL(chunk), nil
			}
			r.line = append(r.line, chunk...)
			if len(r.line) > MaxInline {
				return nil, protoErr(tooLong)
			}
			return trimEOL(r.line), nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			r.line = append(r.line, chunk...)
			if len(r.line) > MaxInline {
				return nil, protoErr(tooLong)
			}
			continue
		}
		if err == io.EOF && (len(chunk) > 0 || len(r.line) > 0) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// ReadCommand returns the next command's arguments (never empty: empty
// commands are skipped, as Redis does). The returned slices are owned by the
// caller. Errors are io.EOF at a clean end of input, io.ErrUnexpectedEOF
// inside a command, a *ProtocolError, or the underlying reader's error.
func (r *Reader) ReadCommand() ([][]byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		var args [][]byte
		if b[0] == '*' {
			args, err = r.readMultibulk()
		} else {
			args, err = r.readInline()
		}
		if err != nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

func (r *Reader) limits() (maxArgs, maxBulk int) {
	maxArgs, maxBulk = r.MaxArgs, r.MaxBulk
	if maxArgs <= 0 {
		maxArgs = DefaultMaxArgs
	}
	if maxBulk <= 0 {
		maxBulk = DefaultMaxBulk
	}
	if r.Unauthenticated {
		maxArgs = min(maxArgs, UnauthMaxArgs)
		maxBulk = min(maxBulk, UnauthMaxBulk)
	}
	return maxArgs, maxBulk
}

func (r *Reader) readMultibulk() ([][]byte, error) {
	line, err := r.readLine("too big mbulk count string")
	if err != nil {
		return nil, eofInside(err)
	}
	n, ok := parseInt(line[1:])
	maxArgs, maxBulk := r.limits()
	if !ok || n > 1024*1024*1024*2-1 {
		return nil, protoErr("invalid multibulk length")
	}
	if n <= 0 {
		return nil, nil
	}
	if r.Unauthenticated && n > UnauthMaxArgs {
		return nil, protoErr("unauthenticated multibulk length")
	}
	if n > int64(maxArgs) {
		return nil, protoErr("invalid multibulk length")
	}
	args := make([][]byte, 0, min(n, 64))
	total := 0
	for range n {
		line, err := r.readLine("too big bulk count string")
		if err != nil {
			return nil, eofInside(err)
		}
		if len(line) == 0 || line[0] != '$' {
			c := byte(0)
			if len(line) > 0 {
				c = line[0]
			}
			return nil, &ProtocolError{Msg: fmt.Sprintf("Protocol error: expected '$', got '%c'", c)}
		}
		size, ok := parseInt(line[1:])
		if !ok || size < 0 || size > int64(DefaultMaxBulk) {
			return nil, protoErr("invalid bulk length")
		}
		if r.Unauthenticated && size > UnauthMaxBulk {
			return nil, protoErr("unauthenticated bulk length")
		}
		if size > int64(maxBulk) {
			return nil, protoErr("invalid bulk length")
		}
		total += int(size)
		if r.MaxRequest > 0 && total > r.MaxRequest {
			return nil, protoErr("request too large")
		}
		arg := make([]byte, size+2)
		if _, err := io.ReadFull(r.br, arg); err != nil {
			return nil, eofInside(err)
		}
		// Like Redis, the two bytes after the payload are skipped unchecked.
		args = append(args, arg[:size:size])
	}
	return args, nil
}

func eofInside(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseInt parses a decimal integer the way Redis's string2ll does for
// protocol counts: optional '-', digits only, no '+', no spaces.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func (r *Reader) readInline() ([][]byte, error) {
	line, err := r.readLine("too big inline request")
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, io.EOF // an unterminated inline line is dropped, like Redis
		}
		return nil, err
	}
	args, ok := SplitArgs(line)
	if !ok {
		return nil, protoErr("unbalanced quotes in request")
	}
	maxArgs, maxBulk := r.limits()
	total := 0
	for _, a := range args {
		total += len(a)
		if len(a) > maxBulk || (r.MaxRequest > 0 && total > r.MaxRequest) {
			return nil, protoErr("invalid bulk length")
		}
	}
	if len(args) > maxArgs {
		return nil, protoErr("invalid multibulk length")
	}
	return args, nil
}

// SplitArgs splits an inline command line like Redis's sdssplitargs: words
// separated by spaces, "double quoted" strings with \n \r \t \b \a \\ \" and
// \xHH escapes, 'single quoted' strings with \' only. A closing quote must be
// followed by a space or the end of the line. ok is false for unbalanced
// quotes.
func SplitArgs(line []byte) (args [][]byte, ok bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		cur = []byte{}
		for !done {
			if inq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if insq {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inq = true
				case c == '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
