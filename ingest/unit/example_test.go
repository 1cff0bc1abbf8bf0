package unit_test

import (
	"errors"
	"fmt"

	"citytwin/ingest/unit"
)

func ExampleNormalize() {
	for _, in := range []struct {
		unit string
		v    float64
	}{{"degF", 212}, {"km/h", 90}, {"hPa", 1013.25}, {"µg/m³", 12.5}, {"ppb", 40}} {
		canonical, v, err := unit.Normalize(in.unit, in.v)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%v %s = %v %s\n", in.v, in.unit, v, canonical)
	}
	_, _, err := unit.Normalize("furlong", 1)
	fmt.Println(err, errors.Is(err, unit.ErrUnknownUnit))
	// Output:
	// 212 degF = 100 Cel
	// 90 km/h = 25 m/s
	// 1013.25 hPa = 101325 Pa
	// 12.5 µg/m³ = 12.5 ug/m3
	// 40 ppb = 0.04 ppm
	// unit: unknown unit "furlong" true
}

func ExampleInverse() {
	v, _ := unit.Inverse("mph", 26.8224)
	fmt.Printf("%.4g mph\n", v)
	// Output: 60 mph
}

func ExampleUnits() {
	for _, c := range unit.Units() {
		if c.Quantity == unit.Pressure {
			fmt.Printf("%s -> %s × %g\n", c.Symbol, c.Canonical, c.Factor())
		}
	}
	// Output:
	// Pa -> Pa × 1
	// hPa -> Pa × 100
	// kPa -> Pa × 1000
	// MPa -> Pa × 1e+06
	// bar -> Pa × 100000
	// mbar -> Pa × 100
	// psi -> Pa × 6894.757293168361
	// mmHg -> Pa × 133.322387415
	// inHg -> Pa × 3386.389
	// atm -> Pa × 101325
}
