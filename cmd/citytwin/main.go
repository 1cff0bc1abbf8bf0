// Command citytwin is the city-scale digital twin engine: it serves the twin over
// HTTP, generates synthetic cities and measures itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `citytwin — a city-scale digital twin engine

Usage:
  citytwin <command> [flags]

Commands:
  serve    run the twin: HTTP API, OGC API Features (and, with --demo, a live synthetic city)
  import   read city data (OSM, CityJSON, IFC, GTFS, GeoJSON, CSV, rasters, TSBS) into a data directory
  query    ask a running server: entities, nearest, history, time series, H3 aggregates
  gen      generate a synthetic city and write it as GeoJSON
  simulate run a what-if scenario (traffic, flood) on a fork of the twin and write a report
  bench    measure the engine on a synthetic metropolis
  version  print the version

Try:
  citytwin serve --demo                        # then open http://127.0.0.1:8080/
  citytwin gen --size demo -o city.geojson     # a district as GeoJSON
  citytwin query nearest 24.94,60.17 --k 3     # ask the running server
  citytwin bench --quick                       # the headline figures, smaller city
  citytwin simulate --demo --close synth:road/12   # what if this road closed?

Run 'citytwin <command> --help' for the flags of a command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// errUsage marks a command line error: exit code 2 and the command's usage.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by Ctrl-C or SIGTERM: the commands then stop
// cleanly (the server takes a last snapshot).
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run runs one command until it is done or ctx is cancelled, and returns the exit
// code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stdout, stderr)
	case "import":
		err = importCmd(ctx, args[1:], stdout, stderr)
	case "gen":
		err = genCmd(ctx, args[1:], stdout, stderr)
	case "query":
		err = queryCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "simulate":
		err = simulateCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "citytwin", version)
	default:
		fmt.Fprintf(stderr, "citytwin: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	fmt.Fprintf(stderr, "citytwin %s: %v\n", args[0], err)
	return 1
}

// newFlags makes a flag set whose --help shows the command's own text.
func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags:\n", help)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning bad flags into errUsage (the flag package has
// already printed the message and the usage), and refuses arguments after
// them.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}

// parseWithArgs is parse for a command that takes arguments after its flags.
func parseWithArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// newLogger logs JSON to w at the given level ("debug", "info", "warn", "error").
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
