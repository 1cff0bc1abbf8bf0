package datasets

import (
	"math"
	"time"
)

// environment is the state of the city at one moment that every sensor sees:
// how busy the roads are, and the weather.
type environment struct {
	hour     float64 // local time of day, 0..24
	weekday  bool
	traffic  float64 // 0..1, relative to the evening peak of a weekday
	work     float64 // 0..1, how much of the working day is on
	tempC    float64
	humidity float64 // 0..1
	wind     float64 // m/s
	windDir  float64 // degrees
	rain     float64 // mm/h
	pressure float64 // Pa
}

func gauss(x, mu, sigma float64) float64 {
	d := (x - mu) / sigma
	return math.Exp(-d * d / 2)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// trafficProfile is the traffic on the roads at a local hour, 0..1: peaks at 8
// and 17 on weekdays, a broad midday hump at weekends, quiet nights.
func trafficProfile(hour float64, weekday bool) float64 {
	// Wrap so that the curves are continuous over midnight.
	if !weekday {
		return 0.05 + 0.5*gauss(hour, 13.5, 3.5)
	}
	day := logistic(2*(hour-6.5)) * logistic(2*(20.5-hour))
	return math.Min(1, 0.05+0.5*gauss(hour, 8, 1)+0.55*gauss(hour, 17, 1.3)+0.3*day)
}

// workProfile is how much of the working day is on: 1 from about 8 to 17 on a
// weekday, a little at weekends.
func workProfile(hour float64, weekday bool) float64 {
	w := logistic(2.5*(hour-7.5)) * logistic(2.5*(17.5-hour))
	if !weekday {
		w *= 0.25
	}
	return w
}

// weather holds the phases and periods of the smooth noises weather is made of.
type weather struct {
	lat    float64
	phases [6][3]float64
}

func newWeather(seed uint64, lat float64) *weather {
	w := &weather{lat: lat}
	for i := range w.phases {
		for j := range w.phases[i] {
			w.phases[i][j] = 2 * math.Pi * unit(hash2(hash2(seed, saltWeather), uint64(i*3+j)))
		}
	}
	return w
}

// noise is a smooth function of time in about -1..1, different for each i:
// a sum of slow waves (periods of days) with random phases.
func (w *weather) noise(i int, days float64) float64 {
	p := w.phases[i]
	return 0.5*math.Sin(2*math.Pi*days/2.3+p[0]) + 0.3*math.Sin(2*math.Pi*days/4.1+p[1]) + 0.2*math.Sin(2*math.Pi*days/0.71+p[2])
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// at returns the environment at t in the local time zone loc.
func (w *weather) at(t time.Time, loc *time.Location) environment {
	lt := t.In(loc)
	e := environment{hour: float64(lt.Hour()) + float64(lt.Minute())/60 + float64(lt.Second())/3600}
	e.weekday = lt.Weekday() != time.Saturday && lt.Weekday() != time.Sunday
	e.traffic = trafficProfile(e.hour, e.weekday)
	e.work = workProfile(e.hour, e.weekday)
	days := float64(t.Unix()) / 86400
	doy := float64(lt.YearDay())
	alat := math.Abs(w.lat)
	season := -math.Cos(2 * math.Pi * (doy - 20) / 365.25)
	if w.lat < 0 {
		season = -season
	}
	mean := 27 - 0.38*alat + 0.2*alat*season
	rain := math.Max(0, (w.noise(4, days)-0.45)*10)
	cloud := clamp(0.5+0.5*w.noise(5, days)+rain/4, 0, 1)
	diurnal := math.Sin(2 * math.Pi * (e.hour - 9) / 24)
	e.rain = rain
	e.tempC = mean + (5-3*cloud)*diurnal + 3*w.noise(0, days)
	e.humidity = clamp(0.72-0.15*diurnal+0.1*w.noise(1, days)+0.15*math.Min(rain, 1), 0.15, 1)
	e.wind = math.Max(0.2, 4+2.5*w.noise(2, days)+1.2*math.Sin(2*math.Pi*(e.hour-8)/24))
	e.windDir = math.Mod(225+120*w.noise(3, days)+360, 360)
	e.pressure = 101325 + 1200*w.noise(5, days+1.7) - 200*math.Min(rain, 3)
	return e
}

// intensity is the peak electric power per floor area of a use, W/m².
func intensity(use string) float64 {
	switch use {
	case "office":
		return 30
	case "retail":
		return 35
	case "hospital":
		return 40
	case "industrial":
		return 40
	case "school", "public":
		return 22
	case "hotel":
		return 20
	case "mixed":
		return 18
	case "warehouse":
		return 8
	}
	return 10
}

// loadProfile is the fraction of peak power a building of a use draws.
func loadProfile(use string, e *environment) float64 {
	switch use {
	case "residential", "hotel":
		return 0.3 + 0.35*gauss(e.hour, 7.5, 1.2) + 0.6*gauss(e.hour, 19.5, 2)
	case "hospital":
		return 0.75 + 0.25*e.work
	case "mixed":
		return 0.3 + 0.3*e.work + 0.3*gauss(e.hour, 19.5, 2)
	}
	return 0.2 + 0.8*e.work
}
