package gateway

// Match reports whether s matches the Redis glob pattern, with exactly the
// semantics of Redis 7's stringmatchlen (src/util.c), case-sensitive:
//
//   - `*` any run of bytes, `?` one byte,
//   - `[abc]`, `[^abc]`, ranges `[a-z]` (reversed ranges `[z-a]` work too),
//     `\x` inside a class matches x, an unterminated class runs to the end,
//   - `\x` outside a class matches x literally.
//
// Bytes compare as C's signed char on x86, as in Redis, which only matters
// for ranges whose ends straddle 0x80.
func Match(pattern, s string) bool {
	skip := false
	return matchImpl(pattern, s, &skip, 0)
}

// at returns pattern[i], or 0 past the end (C's terminating NUL).
func at(p string, i int) int8 {
	if i < len(p) {
		return int8(p[i])
	}
	return 0
}

func matchImpl(pattern, str string, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	p, s := 0, 0
	plen, slen := len(pattern), len(str)
	for plen > 0 && slen > 0 {
		switch pattern[p] {
		case '*':
			for plen > 0 && at(pattern, p+1) == '*' {
				p++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if matchImpl(pattern[p+1:p+plen], str[s:s+slen], skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
				slen--
			}
			*skipLonger = true
			return false
		case '?':
			s++
			slen--
		case '[':
			p++
			plen--
			not := at(pattern, p) == '^'
			if not {
				p++
				plen--
			}
			match := false
			for {
				if at(pattern, p) == '\\' && plen >= 2 {
					p++
					plen--
					if at(pattern, p) == int8(str[s]) {
						match = true
					}
				} else if at(pattern, p) == ']' {
					break
				} else if plen == 0 {
					p--
					plen++
					break
				} else if plen >= 3 && at(pattern, p+1) == '-' {
					start, end := at(pattern, p), at(pattern, p+2)
					c := int8(str[s])
					if start > end {
						start, end = end, start
					}
					p += 2
					plen -= 2
					if c >= start && c <= end {
						match = true
					}
				} else if at(pattern, p) == int8(str[s]) {
					match = true
				}
				p++
				plen--
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
			slen--
		case '\\':
			if plen >= 2 {
				p++
				plen--
			}
			fallthrough
		default:
			if at(pattern, p) != int8(str[s]) {
				return false
			}
			s++
			slen--
		}
		p++
		plen--
		if slen == 0 {
			for at(pattern, p) == '*' {
				p++
				plen--
			}
			break
		}
	}
	return plen == 0 && slen == 0
}
