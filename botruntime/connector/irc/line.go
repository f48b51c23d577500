package irc

import (
	"errors"
	"strings"
)

// Line is one parsed IRC protocol line.
type Line struct {
	Tags    map[string]string // IRCv3 message tags, unescaped; nil when none
	Prefix  string            // source without the leading ':' ("nick!user@host")
	Command string            // upper-case command or three-digit numeric
	Params  []string          // parameters; the trailing one without its ':'
}

// ErrEmptyLine is returned by Parse for a line with no command.
var ErrEmptyLine = errors.New("irc: line has no command")

// Parse parses one line (without or with its trailing CR LF).
func Parse(s string) (Line, error) {
	s = strings.TrimRight(s, "\r\n")
	var l Line
	if strings.HasPrefix(s, "@") {
		var tags string
		tags, s, _ = strings.Cut(s[1:], " ")
		l.Tags = parseTags(tags)
		s = strings.TrimLeft(s, " ")
	}
	if strings.HasPrefix(s, ":") {
		l.Prefix, s, _ = strings.Cut(s[1:], " ")
		s = strings.TrimLeft(s, " ")
	}
	for s != "" {
		if s[0] == ':' {
			l.Params = append(l.Params, s[1:])
			break
		}
		var p string
		p, s, _ = strings.Cut(s, " ")
		s = strings.TrimLeft(s, " ")
		if l.Command == "" {
			l.Command = strings.ToUpper(p)
		} else {
			l.Params = append(l.Params, p)
		}
	}
	if l.Command == "" {
		return Line{}, ErrEmptyLine
	}
	return l, nil
}

func parseTags(s string) map[string]string {
	tags := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		tags[k] = unescapeTag(v)
	}
	return tags
}

func unescapeTag(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break // a trailing lone backslash is dropped
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// Nick returns the nickname part of a prefix ("nick!user@host" -> "nick").
func Nick(prefix string) string {
	n, _, _ := strings.Cut(prefix, "!")
	n, _, _ = strings.Cut(n, "@")
	return n
}

// Split cuts text into pieces of at most max bytes, at spaces where it can
// and never inside a UTF-8 sequence; newlines always start a new piece and
// empty pieces are dropped. max <= 0 means 400.
func Split(text string, max int) []string {
	if max <= 0 {
		max = 400
	}
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		for len(para) > max {
			cut := strings.LastIndexByte(para[:max+1], ' ')
			if cut <= 0 {
				cut = max
				for cut > 0 && para[cut]&0xC0 == 0x80 { // not in the middle of a rune
					cut--
				}
				if cut == 0 {
					cut = max
				}
			}
			if p := strings.TrimSpace(para[:cut]); p != "" {
				out = append(out, p)
			}
			para = strings.TrimLeft(para[cut:], " ")
		}
		if p := strings.TrimSpace(para); p != "" {
			out = append(out, p)
		}
	}
	return out
}
