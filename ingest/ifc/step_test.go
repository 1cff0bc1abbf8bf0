package ifc

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

const testHeader = `ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('t.ifc','2024-01-01T00:00:00',('Ann'),('Org'),'pre','sys','auth');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
`

const testTail = "ENDSEC;\nEND-ISO-10303-21;\n"

// step wraps DATA lines in a header and a tail.
func step(data string) string { return testHeader + data + "\n" + testTail }

// parseAll reads every instance and syntax error of src.
func parseAll(t *testing.T, src string) ([]Instance, []*SyntaxError, *Decoder) {
	t.Helper()
	d := NewDecoder(strings.NewReader(src))
	var ins []Instance
	var errs []*SyntaxError
	for {
		in, err := d.Next()
		var se *SyntaxError
		switch {
		case err == nil:
			ins = append(ins, in)
			continue
		case errors.As(err, &se):
			errs = append(errs, se)
			continue
		case errors.Is(err, io.EOF):
		default:
			t.Fatalf("Next: %v", err)
		}
		return ins, errs, d
	}
}

func TestHeader(t *testing.T) {
	_, errs, d := parseAll(t, step(""))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	h := d.Header
	if got, want := h.Schemas, []string{"IFC4"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("schemas = %q, want %q", got, want)
	}
	if h.Name != "t.ifc" || h.TimeStamp != "2024-01-01T00:00:00" || h.Author[0] != "Ann" || h.Organization[0] != "Org" ||
		h.Preprocessor != "pre" || h.OriginatingSystem != "sys" || h.Authorization != "auth" {
		t.Errorf("FILE_NAME = %+v", h)
	}
	if h.ImplementationLevel != "2;1" || h.Description[0] != "ViewDefinition [CoordinationView]" {
		t.Errorf("FILE_DESCRIPTION = %q %q", h.Description, h.ImplementationLevel)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", `'abc'`, "abc"},
		{"empty", `''`, ""},
		{"quote", `'it''s'`, "it's"},
		{"semicolon", `'a;b'`, "a;b"},
		{"comment chars", `'a/*b*/c'`, "a/*b*/c"},
		{"backslash", `'a\\b'`, `a\b`},
		{"x2", `'Gr\X2\00FC\X0\n'`, "Grün"},
		{"x2 two", `'\X2\00C400DF\X0\'`, "Äß"},
		{"x2 surrogate", `'\X2\D83DDE00\X0\'`, "😀"},
		{"x4", `'\X4\0001F600\X0\'`, "😀"},
		{"x", `'\X\E9t\X\E9'`, "été"},
		{"s", `'\S\d'`, "ä"},
		{"page", `'\PA\\S\d'`, "ä"},
		{"utf8 raw", "'Küche'", "Küche"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins, errs, _ := parseAll(t, step("#1=IFCLABEL("+tt.in+");"))
			if len(errs) > 0 || len(ins) != 1 {
				t.Fatalf("errs %v, %d instances", errs, len(ins))
			}
			if got, _ := ins[0].Arg(0).Text(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValues(t *testing.T) {
	src := step(`/* a comment; with a semicolon */
#10= IFCTHING ( 'x' , $, *, .T., .ELEMENT., #7, 42, -3, 1.5E-3, -2.E+2, 1., "0AF",
  ((1,2),(3,(4,#5))), IFCLABEL('lab'), IFCREAL(2.5), (IFCINTEGER(7)), () ) ;
#11=IFCB/*inline*/($);`)
	ins, errs, _ := parseAll(t, src)
	if len(errs) > 0 || len(ins) != 2 {
		t.Fatalf("errs %v, %d instances", errs, len(ins))
	}
	in := ins[0]
	if in.ID != 10 || in.Type != "IFCTHING" || in.Line != 9 {
		t.Errorf("instance %d %s line %d", in.ID, in.Type, in.Line)
	}
	want := []struct {
		kind ValueKind
		num  float64
		str  string
	}{
		{String, 0, "x"}, {Null, 0, ""}, {Derived, 0, ""}, {Enum, 0, "T"}, {Enum, 0, "ELEMENT"},
		{Ref, 7, ""}, {Integer, 42, ""}, {Integer, -3, ""}, {Real, 1.5e-3, ""}, {Real, -200, ""},
		{Real, 1, ""}, {Binary, 0, "0AF"},
	}
	for i, w := range want {
		v := in.Arg(i)
		if v.Kind != w.kind {
			t.Errorf("arg %d kind %d, want %d", i, v.Kind, w.kind)
			continue
		}
		switch v.Kind {
		case Ref:
			if float64(v.Ref) != w.num {
				t.Errorf("arg %d ref %d", i, v.Ref)
			}
		case Integer, Real:
			if v.Num != w.num {
				t.Errorf("arg %d = %v, want %v", i, v.Num, w.num)
			}
		default:
			if v.Str != w.str {
				t.Errorf("arg %d = %q, want %q", i, v.Str, w.str)
			}
		}
	}
	nested := in.Arg(12)
	if nested.Kind != List || len(nested.List) != 2 || nested.List[1].List[1].List[1].Ref != 5 {
		t.Errorf("nested list = %+v", nested)
	}
	if v := in.Arg(13); v.Kind != Typed || v.Str != "IFCLABEL" {
		t.Errorf("typed = %+v", v)
	} else if s, _ := v.Text(); s != "lab" {
		t.Errorf("typed text = %q", s)
	}
	if n, ok := in.Arg(14).Number(); !ok || n != 2.5 {
		t.Errorf("typed real = %v %v", n, ok)
	}
	if l := in.Arg(15); l.Kind != List || l.List[0].Kind != Typed {
		t.Errorf("list of typed = %+v", l)
	}
	if l := in.Arg(16); l.Kind != List || len(l.List) != 0 {
		t.Errorf("empty list = %+v", l)
	}
	if ins[1].Type != "IFCB" || ins[1].Line != 11 {
		t.Errorf("second = %s line %d", ins[1].Type, ins[1].Line)
	}
}

func TestRejects(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+5) + strings.Repeat(")", MaxDepth+5)
	tests := []struct {
		name, data string
		wantID     uint64
		wantLine   int
	}{
		{"unclosed list", "#2=IFCX((1,2);", 2, 9},
		{"bad number", "#2=IFCX(1e999);", 2, 9},
		{"junk", "#2=IFCX(@);", 2, 9},
		{"no equals", "#2 IFCX(1);", 2, 9},
		{"deep", "#2=IFCX(" + deep + ");", 2, 9},
		{"deep typed", "#2=IFCX(" + strings.Repeat("A(", 100) + "1" + strings.Repeat(")", 100) + ");", 2, 9},
		{"bad escape", `#2=IFCX('\X2\00G1\X0\');`, 2, 9},
		{"trailing", "#2=IFCX(1) 2;", 2, 9},
		{"huge id", "#99999999999999999999999=IFCX(1);", 0, 9},
		{"complex", "#2=(IFCA(1)IFCB(2));", 2, 9},
		{"multi-line", "#2=IFCX(1,\n2,\n@);", 2, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := step("#1=IFCOK(1);\n" + tt.data + "\n#3=IFCOK(3);")
			ins, errs, _ := parseAll(t, src)
			if len(ins) != 2 || ins[0].ID != 1 || ins[1].ID != 3 {
				t.Errorf("kept %d instances, want #1 and #3", len(ins))
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want 1", errs)
			}
			if errs[0].ID != tt.wantID || errs[0].Line != tt.wantLine {
				t.Errorf("error %v: want #%d line %d", errs[0], tt.wantID, tt.wantLine)
			}
		})
	}
}

func TestNotSTEP(t *testing.T) {
	for _, src := range []string{"", "hello world", "{\"type\":\"Feature\"}"} {
		if _, err := Parse(context.Background(), strings.NewReader(src)); !errors.Is(err, ErrNotSTEP) {
			t.Errorf("%q: err = %v, want ErrNotSTEP", src, err)
		}
	}
}

func TestTruncated(t *testing.T) {
	f, err := Parse(context.Background(), strings.NewReader(testHeader+"#1=IFCOK(1);\n#2=IFCX('unterminated"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Instances) != 1 || f.Rejected != 2 {
		t.Errorf("instances %d rejects %v", len(f.Instances), f.Rejects)
	}
}

func TestDuplicateID(t *testing.T) {
	f, err := Parse(context.Background(), strings.NewReader(step("#1=IFCA(1);\n#1=IFCB(2);")))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Instances) != 1 || f.Get(1).Type != "IFCA" || f.Rejected != 1 {
		t.Errorf("instances %d rejects %v", len(f.Instances), f.Rejects)
	}
}

func TestSparseIDs(t *testing.T) {
	f, err := Parse(context.Background(), strings.NewReader(step("#5000000=IFCA(1);\n#1=IFCB(2);\n#18446744073709551615=IFCC(3);")))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint64]string{5000000: "IFCA", 1: "IFCB", 18446744073709551615: "IFCC"} {
		if in := f.Get(id); in == nil || in.Type != want {
			t.Errorf("Get(%d) = %v, want %s", id, in, want)
		}
	}
	if f.Get(2) != nil {
		t.Error("Get(2) found a missing id")
	}
}
