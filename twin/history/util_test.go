package history

import "fmt"

func fmtDiff(what string, got, want any) string {
	return fmt.Sprintf("%s: db %v, memory %v", what, got, want)
}
