package gateway

import (
	"errors"
	"strings"
)

// Ordinary (non-Patchbay) channels are bridged between gateways over NATS
// subjects ChannelSubjectPrefix + EscapeChannel(channel). Each gateway
// subscribes to ChannelSubjectPrefix + "*".
const ChannelSubjectPrefix = "redis.chan."

// gatewayHeader carries the publishing gateway's instance id on bridged
// messages, so a gateway does not deliver its own messages twice.
const gatewayHeader = "Patchbay-Gateway"

// EscapeChannel maps any channel name (any bytes) to one valid NATS subject
// token, reversibly: ASCII letters, digits, '-' and '_' stay as they are,
// every other byte becomes '%' and two uppercase hex digits ("news.uk" ->
// "news%2Euk", "a b" -> "a%20b", "%" -> "%25"), and the empty channel
// becomes "%". The result never contains '.', '*', '>' or whitespace.
func EscapeChannel(ch string) string {
	if ch == "" {
		return "%"
	}
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(ch))
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// errBadToken is returned by UnescapeChannel for a token EscapeChannel cannot produce.
var errBadToken = errors.New("gateway: not an escaped channel token")

// UnescapeChannel reverses EscapeChannel. It accepts only what
// EscapeChannel produces (uppercase hex, no unescaped reserved bytes).
func UnescapeChannel(tok string) (string, error) {
	if tok == "%" {
		return "", nil
	}
	var b strings.Builder
	b.Grow(len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_':
			b.WriteByte(c)
		case c == '%' && i+2 < len(tok) && upperHex(tok[i+1]) >= 0 && upperHex(tok[i+2]) >= 0:
			v := byte(upperHex(tok[i+1])<<4 | upperHex(tok[i+2]))
			if (v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') || (v >= '0' && v <= '9') || v == '-' || v == '_' {
				return "", errBadToken
			}
			b.WriteByte(v)
			i += 2
		default:
			return "", errBadToken
		}
	}
	if tok == "" {
		return "", errBadToken
	}
	return b.String(), nil
}

func upperHex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
