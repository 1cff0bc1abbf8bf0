package ifc

import (
	"unicode/utf16"
	"unicode/utf8"
)

// decodeString decodes the body of a STEP string into out.
func decodeString(raw, out []byte) ([]byte, bool) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\'':
			// '' is one quote (the scanner guarantees pairs).
			out = append(out, '\'')
			i += 2
		case c >= 0x80:
			// Not allowed by the standard, but common: keep valid UTF-8,
			// read other bytes as Latin-1.
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				out = utf8.AppendRune(out, rune(c))
				i++
			} else {
				out = append(out, raw[i:i+n]...)
				i += n
			}
		case c != '\\':
			out = append(out, c)
			i++
		default:
			rest := raw[i:]
			switch {
			case hasPrefix(rest, `\\`):
				out = append(out, '\\')
				i += 2
			case hasPrefix(rest, `\X2\`), hasPrefix(rest, `\X4\`):
				width := 4
				if rest[2] == '4' {
					width = 8
				}
				j := i + 4
				var units []uint16
				for {
					if j+4 <= len(raw) && hasPrefix(raw[j:], `\X0\`) {
						j += 4
						break
					}
					if j+width > len(raw) {
						return out, false
					}
					v, ok := hexVal(raw[j : j+width])
					if !ok {
						return out, false
					}
					if width == 4 {
						units = append(units, uint16(v))
					} else {
						if !utf8.ValidRune(rune(v)) {
							return out, false
						}
						out = utf8.AppendRune(out, rune(v))
					}
					j += width
				}
				for _, r := range utf16.Decode(units) {
					out = utf8.AppendRune(out, r)
				}
				i = j
			case hasPrefix(rest, `\X\`):
				if len(rest) < 5 {
					return out, false
				}
				v, ok := hexVal(rest[3:5])
				if !ok {
					return out, false
				}
				out = utf8.AppendRune(out, rune(v))
				i += 5
			case hasPrefix(rest, `\S\`):
				if len(rest) < 4 {
					return out, false
				}
				out = utf8.AppendRune(out, rune(rest[3])+0x80)
				i += 4
			case len(rest) >= 4 && rest[1] == 'P' && rest[3] == '\\':
				// Code page switch (\PA\): we read ISO 8859-1 regardless.
				i += 4
			case hasPrefix(rest, `\N\`):
				out = append(out, '\n')
				i += 3
			case hasPrefix(rest, `\T\`):
				out = append(out, '\t')
				i += 3
			default:
				return out, false
			}
		}
	}
	return out, true
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func hexVal(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | uint32(c-'A'+10)
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
