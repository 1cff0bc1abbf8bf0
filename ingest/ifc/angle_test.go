package ifc

import (
	"math"
	"testing"
)

func TestCompoundAngle(t *testing.T) {
	tests := []struct {
		in      []float64
		want    float64
		wantErr bool
	}{
		{[]float64{49, 6, 1, 566000}, 49 + 6.0/60 + 1.566/3600, false},
		{[]float64{8, 26, 11, 540400}, 8 + 26.0/60 + 11.5404/3600, false},
		{[]float64{-33, -51, -54}, -(33 + 51.0/60 + 54.0/3600), false},
		{[]float64{0, -30, 0, 0}, -0.5, false},
		{[]float64{10, 0, 0}, 10, false},
		{[]float64{1, 2}, 0, true},
		{[]float64{1, 2, 3, 4, 5}, 0, true},
		{[]float64{1.5, 0, 0}, 0, true},
		{[]float64{1e300, 0, 0}, 0, true},
		{[]float64{math.NaN(), 0, 0}, 0, true},
	}
	for _, tt := range tests {
		got, err := CompoundAngle(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: err = %v", tt.in, err)
			continue
		}
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%v = %.12f, want %.12f", tt.in, got, tt.want)
		}
	}
}
