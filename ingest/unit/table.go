package unit

import "math"

// The quantities of the table, as Conversion.Quantity names them.
const (
	Temperature       = "temperature"
	Speed             = "speed"
	Acceleration      = "acceleration"
	Length            = "length"
	Area              = "area"
	Volume            = "volume"
	Flow              = "flow"
	Precipitation     = "precipitation rate"
	Pressure          = "pressure"
	Mass              = "mass"
	Density           = "density"
	Particulates      = "mass concentration"
	MixingRatio       = "mixing ratio"
	Ratio             = "ratio"
	Humidity          = "relative humidity"
	Battery           = "battery"
	Count             = "count"
	Time              = "time"
	Frequency         = "frequency"
	Rate              = "rate"
	Energy            = "energy"
	Power             = "power"
	Voltage           = "voltage"
	Current           = "current"
	Charge            = "charge"
	Resistance        = "resistance"
	Conductance       = "conductance"
	Conductivity      = "conductivity"
	ApparentPower     = "apparent power"
	ReactivePower     = "reactive power"
	ApparentEnergy    = "apparent energy"
	ReactiveEnergy    = "reactive energy"
	EnergyPerDistance = "energy per distance"
	Magnetism         = "magnetism"
	Light             = "light"
	Irradiance        = "irradiance"
	Radiation         = "radiation"
	Chemistry         = "chemistry"
	Angle             = "angle"
	Location          = "location"
	Force             = "force"
	Level             = "level"
	Data              = "data"
	DataRate          = "data rate"
)

// table is the list of units. The first entry of each quantity is its canonical
// unit (Mul = Div = 1, Shift = 0). Mul and Div are kept apart so that the common
// conversions are exact in float64 (212 degF is 100 Cel, not 100.00000000000001).
var table = []Conversion{
	// Temperature: Celsius, because every city dashboard and weather service uses it.
	// "C" and "F" are taken as Celsius and Fahrenheit: in city sensor payloads a
	// bare C or F is a temperature, never SenML's coulomb or farad.
	{Symbol: "Cel", Aliases: []string{"°C", "degC", "C", "celsius", "℃", "deg_C"}, Quantity: Temperature},
	{Symbol: "K", Aliases: []string{"kelvin"}, Quantity: Temperature, Shift: -273.15},
	{Symbol: "degF", Aliases: []string{"°F", "F", "fahrenheit", "℉", "deg_F"}, Quantity: Temperature, Shift: -32, Mul: 5, Div: 9},

	{Symbol: "m/s", Aliases: []string{"mps"}, Quantity: Speed},
	{Symbol: "km/h", Aliases: []string{"kmh", "kph", "km/hr", "kmph"}, Quantity: Speed, Mul: 1000, Div: 3600},
	{Symbol: "m/h", Quantity: Speed, Div: 3600},
	{Symbol: "mph", Aliases: []string{"mi/h"}, Quantity: Speed, Mul: 1609.344, Div: 3600},
	{Symbol: "kn", Aliases: []string{"knots", "knot", "kt", "kts"}, Quantity: Speed, Mul: 1852, Div: 3600},
	{Symbol: "ft/s", Aliases: []string{"fps"}, Quantity: Speed, Mul: 0.3048},

	{Symbol: "m/s2", Quantity: Acceleration},

	{Symbol: "m", Aliases: []string{"metre", "meter", "metres", "meters"}, Quantity: Length},
	{Symbol: "km", Quantity: Length, Mul: 1000},
	{Symbol: "cm", Quantity: Length, Div: 100},
	{Symbol: "mm", Quantity: Length, Div: 1000},
	{Symbol: "ft", Aliases: []string{"feet", "foot"}, Quantity: Length, Mul: 0.3048},
	{Symbol: "in", Aliases: []string{"inch", "inches"}, Quantity: Length, Mul: 0.0254},
	{Symbol: "yd", Quantity: Length, Mul: 0.9144},
	{Symbol: "mi", Aliases: []string{"mile", "miles"}, Quantity: Length, Mul: 1609.344},

	{Symbol: "m2", Quantity: Area},
	{Symbol: "km2", Quantity: Area, Mul: 1e6},
	{Symbol: "ha", Aliases: []string{"hectare"}, Quantity: Area, Mul: 1e4},
	{Symbol: "ft2", Quantity: Area, Mul: 0.09290304},

	{Symbol: "m3", Quantity: Volume},
	{Symbol: "l", Aliases: []string{"L", "litre", "liter", "litres", "liters"}, Quantity: Volume, Div: 1000},
	{Symbol: "ml", Aliases: []string{"mL"}, Quantity: Volume, Div: 1e6},

	{Symbol: "m3/s", Quantity: Flow},
	{Symbol: "l/s", Aliases: []string{"L/s"}, Quantity: Flow, Div: 1000},
	{Symbol: "l/min", Aliases: []string{"L/min", "lpm"}, Quantity: Flow, Div: 60000},
	{Symbol: "l/h", Aliases: []string{"L/h"}, Quantity: Flow, Div: 3.6e6},
	{Symbol: "m3/h", Quantity: Flow, Div: 3600},

	// Precipitation rate stays in mm/h (a SenML name, RFC 8798): rain gauges and
	// weather services all report it so, and in m/s a downpour would be 1e-5.
	{Symbol: "mm/h", Aliases: []string{"mm/hr"}, Quantity: Precipitation},
	{Symbol: "in/h", Aliases: []string{"in/hr"}, Quantity: Precipitation, Mul: 25.4},

	{Symbol: "Pa", Aliases: []string{"pascal"}, Quantity: Pressure},
	{Symbol: "hPa", Quantity: Pressure, Mul: 100},
	{Symbol: "kPa", Quantity: Pressure, Mul: 1000},
	{Symbol: "MPa", Quantity: Pressure, Mul: 1e6},
	{Symbol: "bar", Quantity: Pressure, Mul: 1e5},
	{Symbol: "mbar", Aliases: []string{"millibar"}, Quantity: Pressure, Mul: 100},
	{Symbol: "psi", Quantity: Pressure, Mul: 6894.757293168361},
	{Symbol: "mmHg", Quantity: Pressure, Mul: 133.322387415},
	{Symbol: "inHg", Quantity: Pressure, Mul: 3386.389},
	{Symbol: "atm", Quantity: Pressure, Mul: 101325},

	{Symbol: "kg", Quantity: Mass},
	{Symbol: "g", Quantity: Mass, Div: 1000},
	{Symbol: "mg", Quantity: Mass, Div: 1e6},
	{Symbol: "t", Aliases: []string{"tonne"}, Quantity: Mass, Mul: 1000},
	{Symbol: "lb", Aliases: []string{"lbs"}, Quantity: Mass, Mul: 0.45359237},

	{Symbol: "kg/m3", Quantity: Density},

	// Particulate matter and other mass concentrations in µg/m³, the unit of every
	// air-quality standard (WHO, EU, EPA).
	{Symbol: "ug/m3", Aliases: []string{"µg/m³", "μg/m³"}, Quantity: Particulates},
	{Symbol: "mg/m3", Quantity: Particulates, Mul: 1000},
	{Symbol: "ng/m3", Quantity: Particulates, Div: 1000},

	// Gas mixing ratios in ppm (a SenML name, RFC 8798).
	{Symbol: "ppm", Quantity: MixingRatio},
	{Symbol: "ppb", Quantity: MixingRatio, Div: 1000},

	// Ratios in percent: occupancy, battery, fill level read as percentages. "/"
	// (SenML's ratio, 1 = whole) is multiplied by 100.
	{Symbol: "%", Aliases: []string{"/100", "percent", "pct"}, Quantity: Ratio},
	{Symbol: "/", Aliases: []string{"ratio"}, Quantity: Ratio, Mul: 100},
	{Symbol: "/1000", Aliases: []string{"‰", "permille"}, Quantity: Ratio, Div: 10},

	{Symbol: "%RH", Aliases: []string{"RH"}, Quantity: Humidity},

	{Symbol: "%EL", Quantity: Battery},
	{Symbol: "EL", Quantity: Battery + " (time left)"},

	{Symbol: "count", Aliases: []string{"1", "#", "counts"}, Quantity: Count},
	{Symbol: "beats", Quantity: "heart beats"},

	{Symbol: "s", Aliases: []string{"sec", "second", "seconds"}, Quantity: Time},
	{Symbol: "ms", Quantity: Time, Div: 1000},
	{Symbol: "min", Aliases: []string{"minute", "minutes"}, Quantity: Time, Mul: 60},
	{Symbol: "h", Aliases: []string{"hr", "hour", "hours"}, Quantity: Time, Mul: 3600},
	{Symbol: "d", Aliases: []string{"day", "days"}, Quantity: Time, Mul: 86400},

	{Symbol: "Hz", Quantity: Frequency},
	{Symbol: "kHz", Quantity: Frequency, Mul: 1e3},
	{Symbol: "MHz", Quantity: Frequency, Mul: 1e6},
	{Symbol: "GHz", Quantity: Frequency, Mul: 1e9},

	{Symbol: "1/s", Aliases: []string{"/s"}, Quantity: Rate},
	{Symbol: "1/min", Aliases: []string{"/min", "beat/min", "bpm", "rpm"}, Quantity: Rate, Div: 60},
	{Symbol: "1/h", Aliases: []string{"/h"}, Quantity: Rate, Div: 3600},

	{Symbol: "J", Aliases: []string{"joule"}, Quantity: Energy},
	{Symbol: "kJ", Quantity: Energy, Mul: 1e3},
	{Symbol: "MJ", Quantity: Energy, Mul: 1e6},
	{Symbol: "Wh", Quantity: Energy, Mul: 3600},
	{Symbol: "kWh", Quantity: Energy, Mul: 3.6e6},
	{Symbol: "MWh", Quantity: Energy, Mul: 3.6e9},

	{Symbol: "W", Aliases: []string{"watt"}, Quantity: Power},
	{Symbol: "mW", Quantity: Power, Div: 1000},
	{Symbol: "kW", Quantity: Power, Mul: 1e3},
	{Symbol: "MW", Quantity: Power, Mul: 1e6},

	{Symbol: "V", Aliases: []string{"volt"}, Quantity: Voltage},
	{Symbol: "mV", Quantity: Voltage, Div: 1000},
	{Symbol: "kV", Quantity: Voltage, Mul: 1000},

	{Symbol: "A", Aliases: []string{"ampere", "amp"}, Quantity: Current},
	{Symbol: "mA", Quantity: Current, Div: 1000},

	// Charge in ampere-hours: "C" is Celsius here (see Temperature).
	{Symbol: "Ah", Quantity: Charge},
	{Symbol: "mAh", Quantity: Charge, Div: 1000},

	{Symbol: "Ohm", Aliases: []string{"Ω", "ohm"}, Quantity: Resistance},
	{Symbol: "kOhm", Aliases: []string{"kΩ"}, Quantity: Resistance, Mul: 1000},
	{Symbol: "S", Aliases: []string{"siemens"}, Quantity: Conductance},
	{Symbol: "S/m", Quantity: Conductivity},

	{Symbol: "VA", Quantity: ApparentPower},
	{Symbol: "kVA", Quantity: ApparentPower, Mul: 1000},
	{Symbol: "var", Quantity: ReactivePower},
	{Symbol: "kvar", Quantity: ReactivePower, Mul: 1000},
	{Symbol: "VAs", Quantity: ApparentEnergy},
	{Symbol: "VAh", Quantity: ApparentEnergy, Mul: 3600},
	{Symbol: "kVAh", Quantity: ApparentEnergy, Mul: 3.6e6},
	{Symbol: "vars", Quantity: ReactiveEnergy},
	{Symbol: "varh", Quantity: ReactiveEnergy, Mul: 3600},
	{Symbol: "kvarh", Quantity: ReactiveEnergy, Mul: 3.6e6},

	{Symbol: "J/m", Quantity: EnergyPerDistance},
	{Symbol: "Wh/km", Quantity: EnergyPerDistance, Mul: 3.6},

	{Symbol: "T", Aliases: []string{"tesla"}, Quantity: Magnetism},
	{Symbol: "Wb", Quantity: Magnetism + " (flux)"},
	{Symbol: "H", Quantity: Magnetism + " (inductance)"},

	{Symbol: "lx", Aliases: []string{"lux"}, Quantity: Light},
	{Symbol: "lm", Quantity: Light + " (flux)"},
	{Symbol: "cd", Quantity: Light + " (intensity)"},
	{Symbol: "cd/m2", Quantity: Light + " (luminance)"},

	{Symbol: "W/m2", Quantity: Irradiance},

	{Symbol: "Bq", Quantity: Radiation},
	{Symbol: "Gy", Quantity: Radiation + " (absorbed dose)"},
	{Symbol: "Sv", Quantity: Radiation + " (dose equivalent)"},

	{Symbol: "mol", Quantity: Chemistry},
	{Symbol: "kat", Quantity: Chemistry + " (catalytic activity)"},
	{Symbol: "pH", Quantity: Chemistry + " (acidity)"},

	// Angles in degrees: bearings, wind directions and headings all come so.
	{Symbol: "deg", Aliases: []string{"°", "degree", "degrees"}, Quantity: Angle},
	{Symbol: "rad", Quantity: Angle, Mul: 180, Div: math.Pi},
	{Symbol: "sr", Quantity: Angle + " (solid)"},

	{Symbol: "lat", Quantity: Location + " (latitude)"},
	{Symbol: "lon", Quantity: Location + " (longitude)"},

	{Symbol: "N", Aliases: []string{"newton"}, Quantity: Force},

	// A-weighted decibels are kept as dB; the original unit stays in provenance.
	{Symbol: "dB", Aliases: []string{"dBA", "dB(A)", "dBa"}, Quantity: Level},
	{Symbol: "dBW", Quantity: Level + " (power)"},
	{Symbol: "dBm", Quantity: Level + " (power, mW)"},
	{Symbol: "Bspl", Quantity: Level + " (sound pressure, bel)"},

	{Symbol: "B", Aliases: []string{"byte", "bytes"}, Quantity: Data},
	{Symbol: "kB", Quantity: Data, Mul: 1e3},
	{Symbol: "KiB", Quantity: Data, Mul: 1024},
	{Symbol: "MB", Quantity: Data, Mul: 1e6},
	{Symbol: "MiB", Quantity: Data, Mul: 1 << 20},
	{Symbol: "GB", Quantity: Data, Mul: 1e9},
	{Symbol: "bit", Quantity: Data + " (bits)"},

	{Symbol: "bit/s", Aliases: []string{"bps"}, Quantity: DataRate},
	{Symbol: "kbit/s", Aliases: []string{"kbps"}, Quantity: DataRate, Mul: 1e3},
	{Symbol: "Mbit/s", Aliases: []string{"Mbps"}, Quantity: DataRate, Mul: 1e6},
	{Symbol: "B/s", Quantity: DataRate + " (bytes)"},
	{Symbol: "MB/s", Quantity: DataRate + " (bytes)", Mul: 1e6},
}
