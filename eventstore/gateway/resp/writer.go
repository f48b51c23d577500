package resp

import "strconv"

// Writer appends replies to Buf in protocol version Proto (2 or 3; anything
// but 3 means RESP2). RESP3-only types degrade to their RESP2 equivalents:
// maps to flat arrays, push frames to arrays, nulls to $-1 or *-1, verbatim
// strings to bulk strings. The zero value writes RESP2 into a nil buffer.
type Writer struct {
	Buf   []byte
	Proto int
}

// Reset empties Buf, keeping its capacity.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

// Simple writes a simple string: +s.
func (w *Writer) Simple(s string) {
	w.Buf = append(append(append(w.Buf, '+'), s...), '\r', '\n')
}

// Error writes an error reply; s starts with its code, e.g. "ERR syntax error".
// Newlines in s are replaced by spaces so the frame stays valid.
func (w *Writer) Error(s string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer: :n.
func (w *Writer) Int(n int64) {
	w.Buf = append(strconv.AppendInt(append(w.Buf, ':'), n, 10), '\r', '\n')
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.Buf = append(strconv.AppendInt(append(w.Buf, '$'), int64(len(b)), 10), '\r', '\n')
	w.Buf = append(append(w.Buf, b...), '\r', '\n')
}

// BulkString writes a bulk string from a string.
func (w *Writer) BulkString(s string) {
	w.Buf = append(strconv.AppendInt(append(w.Buf, '$'), int64(len(s)), 10), '\r', '\n')
	w.Buf = append(append(w.Buf, s...), '\r', '\n')
}

// Verbatim writes a RESP3 verbatim string of format "txt" (a bulk string in RESP2).
func (w *Writer) Verbatim(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.Buf = append(strconv.AppendInt(append(w.Buf, '='), int64(len(s)+4), 10), '\r', '\n')
	w.Buf = append(append(append(w.Buf, "txt:"...), s...), '\r', '\n')
}

// Null writes a null bulk string ($-1, or _ in RESP3).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray writes a null array (*-1, or _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

// Array writes an array header for n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map writes a map header for n key/value pairs (an array of 2n in RESP2).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set writes a set header (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push writes a push frame header (an array in RESP2): pub/sub messages and
// subscription confirmations.
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

func (w *Writer) header(c byte, n int) {
	w.Buf = append(strconv.AppendInt(append(w.Buf, c), int64(n), 10), '\r', '\n')
}
