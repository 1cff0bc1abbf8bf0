package ifc

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func FuzzParseSTEP(f *testing.F) {
	if p := hausPathOrEmpty(); p != "" {
		if data, err := os.ReadFile(p); err == nil {
			var head bytes.Buffer
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			for i := 0; i < 300 && sc.Scan(); i++ {
				head.Write(sc.Bytes())
				head.WriteByte('\n')
			}
			head.WriteString(testTail)
			f.Add(head.Bytes())
		}
	}
	f.Add([]byte(step(synthetic)))
	for _, s := range []string{
		"#1=IFCX(" + strings.Repeat("(", 10000) + ");",
		"#1=IFCX(" + strings.Repeat("A(", 5000) + ");",
		"#1=IFCX(1" + strings.Repeat("0", 400) + ".);",
		"#1=IFCX(-1E99999);",
		"#1=IFCLOCALPLACEMENT(#2,$);#2=IFCLOCALPLACEMENT(#1,$);#3=IFCPROJECT('p',$,$,$,$,$,$,$,$);" +
			"#4=IFCBUILDING('b',$,$,$,$,#1,$,$,$,$,$,$);#5=IFCSITE('s',$,$,$,$,#2,$,$,$,(1,2,3),(4,5,6),$,$,$);",
		"#1=IFCX('\\X2\\D800\\X0\\','\\X4\\FFFFFFFF\\X0\\','\\X\\','\\S\\');",
		"#1=IFCX('unterminated);",
		"/* unterminated comment",
		"#1=IFCBUILDINGSTOREY('s',$,$,$,$,#1,#1,$,$,1.E308);#2=IFCRELAGGREGATES('r',$,$,$,#2,(#2,#1));",
		"#1=IFCMAPPEDITEM(#2,$);#2=IFCREPRESENTATIONMAP($,#3);#3=IFCSHAPEREPRESENTATION($,'Body',$,(#1));",
	} {
		f.Add([]byte(step(s)))
	}
	f.Add([]byte("ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n#1=IFCX(1);"))
	f.Add([]byte("not a step file"))
	f.Fuzz(func(t *testing.T, data []byte) {
		type out struct {
			res *Result
			err error
		}
		done := make(chan out, 1)
		go func() {
			res, err := Decode(context.Background(), bytes.NewReader(data), Options{Name: "fuzz.ifc"})
			done <- out{res, err}
		}()
		select {
		case o := <-done:
			if o.err == nil {
				for _, op := range o.res.Ops {
					if err := op.Validate(); err != nil {
						t.Fatalf("invalid op: %v", err)
					}
				}
			}
		case <-time.After(fuzzTimeLimit):
			// The decoder goroutine is left behind; the process is failing.
			t.Fatalf("decoding %d bytes took longer than %v", len(data), fuzzTimeLimit)
		}
	})
}

// fuzzTimeLimit bounds one decode of a fuzz input (a few KB).
const fuzzTimeLimit = 5 * time.Second
