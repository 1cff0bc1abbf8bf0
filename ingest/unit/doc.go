// Package unit normalises measurement units on the way into the twin, so that one
// metric is stored in one unit whatever each sensor sends.
//
// Normalize(unit, v) returns the canonical unit of the quantity and v converted to
// it; Inverse converts back; Lookup gives the Conversion itself; Units returns the
// whole table (to render documentation from). An unknown unit is an error wrapping
// ErrUnknownUnit that names the unit; what to do with the value is the caller's
// decision. An empty unit leaves the value unchanged, with canonical "".
//
// # Canonical units
//
// The canonical unit of a quantity is its SI unit, spelt as SenML spells it (RFC
// 8428 section 12.1 and the RFC 8798 additions: "m", "kg", "s", "Pa", "J", "W",
// "m/s", "m3", "m3/s", ...), except where the whole domain works in another
// unit that SenML also registers:
//
//   - temperature in Cel (degrees Celsius), not K;
//   - particulate and other mass concentrations in ug/m3, the unit of every
//     air-quality standard, not kg/m3;
//   - gas mixing ratios in ppm;
//   - ratios in % (occupancy, fill level); relative humidity stays %RH and
//     battery level %EL;
//   - precipitation rate in mm/h (in m/s a downpour would be about 1e-5);
//   - angles in deg (bearings, headings, wind directions);
//   - charge in Ah (see below for why not the coulomb).
//
// # Spellings
//
// A unit is looked up by its exact spelling first, after typographic clean-up:
// surrounding and inner spaces and carets are dropped, superscript ² and ³ become
// 2 and 3, the micro signs µ and μ become u, and º becomes °; so "µg/m³",
// "ug/m^3" and "ug/m3" are one unit. Failing that, a case-insensitive match is
// accepted when it is unambiguous: "KM/H" and "hpa" are accepted, but "mw" (mW or
// MW?), "s" (s or S?), "t" (t or T?) and "h" (h or H?) are accepted only in
// their exact case.
//
// "C" and "F" are Celsius and Fahrenheit, not SenML's coulomb and farad: in city
// sensor payloads a bare C or F is always a temperature. Charge is therefore in
// ampere-hours and capacitance is not in the table. "dBA" and "dB(A)" are
// recorded as dB; the original unit stays in provenance.
//
// # The table
//
// Each line gives a quantity and its canonical unit, then every accepted unit with
// its other spellings in brackets and the conversion to the canonical unit (v is
// the value as sent):
//
//   - temperature, in Cel: Cel (°C, degC, C, celsius, ℃, deg_C); K (kelvin) =
//     v − 273.15; degF (°F, F, fahrenheit, ℉, deg_F) = (v − 32) × 5/9
//   - speed, in m/s: m/s (mps); km/h (kmh, kph, km/hr, kmph) × 1000/3600; m/h ÷
//     3600; mph (mi/h) × 1609.344/3600; kn (knots, knot, kt, kts) × 1852/3600;
//     ft/s (fps) × 0.3048
//   - length, in m: m (metre, meter, metres, meters); km × 1000; cm ÷ 100; mm ÷
//     1000; ft (feet, foot) × 0.3048; in (inch, inches) × 0.0254; yd × 0.9144;
//     mi (mile, miles) × 1609.344
//   - area, in m2: m2; km2 × 1e6; ha (hectare) × 10000; ft2 × 0.09290304
//   - volume, in m3: m3; l (L, litre, liter, litres, liters) ÷ 1000; ml (mL) ÷
//     1e6
//   - flow, in m3/s: m3/s; l/s (L/s) ÷ 1000; l/min (L/min, lpm) ÷ 60000; l/h
//     (L/h) ÷ 3.6e6; m3/h ÷ 3600
//   - precipitation rate, in mm/h: mm/h (mm/hr); in/h (in/hr) × 25.4
//   - pressure, in Pa: Pa (pascal); hPa × 100; kPa × 1000; MPa × 1e6; bar ×
//     100000; mbar (millibar) × 100; psi × 6894.757293168361; mmHg ×
//     133.322387415; inHg × 3386.389; atm × 101325
//   - mass, in kg: kg; g ÷ 1000; mg ÷ 1e6; t (tonne) × 1000; lb (lbs) ×
//     0.45359237
//   - mass concentration, in ug/m3: ug/m3 (µg/m³, μg/m³); mg/m3 × 1000; ng/m3 ÷
//     1000
//   - mixing ratio, in ppm: ppm; ppb ÷ 1000
//   - ratio, in %: % (/100, percent, pct); / (ratio) × 100; /1000 (‰, permille)
//     ÷ 10
//   - time, in s: s (sec, second, seconds); ms ÷ 1000; min (minute, minutes) ×
//     60; h (hr, hour, hours) × 3600; d (day, days) × 86400
//   - frequency, in Hz: Hz; kHz × 1000; MHz × 1e6; GHz × 1e9
//   - rate, in 1/s: 1/s (/s); 1/min (/min, beat/min, bpm, rpm) ÷ 60; 1/h (/h) ÷
//     3600
//   - energy, in J: J (joule); kJ × 1000; MJ × 1e6; Wh × 3600; kWh × 3.6e6; MWh
//     × 3.6e9
//   - power, in W: W (watt); mW ÷ 1000; kW × 1000; MW × 1e6
//   - voltage, in V: V (volt); mV ÷ 1000; kV × 1000
//   - current, in A: A (ampere, amp); mA ÷ 1000
//   - charge, in Ah: Ah; mAh ÷ 1000
//   - resistance, in Ohm: Ohm (Ω, ohm); kOhm (kΩ) × 1000
//   - apparent power, in VA: VA; kVA × 1000
//   - reactive power, in var: var; kvar × 1000
//   - apparent energy, in VAs: VAs; VAh × 3600; kVAh × 3.6e6
//   - reactive energy, in vars: vars; varh × 3600; kvarh × 3.6e6
//   - energy per distance, in J/m: J/m; Wh/km × 3.6
//   - angle, in deg: deg (°, degree, degrees); rad × 180/π
//   - data, in B: B (byte, bytes); kB × 1000; KiB × 1024; MB × 1e6; MiB ×
//     1048576; GB × 1e9
//   - data rate, in bit/s: bit/s (bps); kbit/s (kbps) × 1000; Mbit/s (Mbps) ×
//     1e6
//   - data rate in bytes, in B/s: B/s; MB/s × 1e6
//   - kept as sent, each its own canonical unit: m/s2 (acceleration); kg/m3
//     (density); %RH, also RH (relative humidity); %EL (battery level); EL
//     (battery time left, s); count, also 1, #, counts; beats (heart beats); S,
//     also siemens (conductance); S/m (conductivity); T, also tesla; Wb; H; lx,
//     also lux; lm; cd; cd/m2; W/m2 (irradiance); Bq; Gy; Sv; mol; kat; pH; sr;
//     lat and lon (degrees of latitude and longitude); N, also newton; dB, also
//     dBA, dB(A), dBa; dBW; dBm; Bspl; bit.
package unit
