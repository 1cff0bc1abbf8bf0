package history

import (
	"net/url"
	"testing"

	"citytwin/twin/history/historytest"
)

// testDSN returns the DSN of a fresh database made for t and dropped after it.
func testDSN(t testing.TB) string { return historytest.DSN(t, "citytwin_test") }

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}
