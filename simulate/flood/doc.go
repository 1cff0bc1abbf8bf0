// Package flood is a two-dimensional urban flood model: the local-inertial
// shallow-water formulation of Bates, Horritt & Fewtrell (2010, "A simple
// inertial formulation of the shallow water equations for efficient
// two-dimensional flood inundation modelling", J. Hydrology 387, 33–45), the
// scheme of LISFLOOD-FP, with the q-centred θ-weighting of de Almeida, Bates,
// Freer & Souvignet (2012, Water Resources Research 48, W05528) as an option.
//
// The model runs on a north-up elevation raster (geo/raster): each cell holds a
// water depth h, each face between two cells a unit-width discharge q (m²/s).
// One step of length Δt
//
//  1. updates every face discharge from the water-surface slope and Manning
//     friction (Bates et al. 2010, eq. 11, with de Almeida's θ in the
//     numerator):
//     q ← (q̃ − g·h_f·Δt·∂η/∂x) / (1 + g·Δt·n²·|q|/h_f^(7/3)),
//     q̃ = θ·q + (1−θ)/2·(q_prev + q_next), h_f = max(η₁,η₂) − max(z₁,z₂);
//  2. limits the outflow of every cell to the water it holds, so a depth never
//     goes negative and no water is created or lost (the face discharges are
//     scaled by their donor cell's factor, which keeps them antisymmetric);
//  3. updates the depths from the discharge divergence (continuity) and adds
//     rainfall and inflow hydrographs, integrated exactly over the step.
//
// Δt adapts to the water: Δt = α·min(Δx,Δy)/√(g·h_max) (Bates et al. 2010,
// eq. 12, α ≈ 0.7), with α capped at 0.95·√(θ/2) (the linear stability
// limit of the θ-weighted scheme in two dimensions), h_max counting the depth
// an inflow adds within the step, and Config.MaxStep on top. Steps land on
// every multiple of Config.Interval — the instants at which gauges record,
// progress is reported and a run may stop and be saved — and the time to the
// next one is shared equally between the steps it needs, since an abrupt
// short step upsets the staggering of q and h.
//
// Buildings are rasterised by cell centre and either block their cells (walls)
// or raise the ground by a height. NoData cells of the elevation model are
// walls. Each edge of the grid is closed (a wall), free (outflow at the larger
// of the local water-surface slope and Config.FreeSlope) or held at a depth
// series (inflow or outflow).
//
// Cells are updated over rows by Config.Workers goroutines in fixed blocks of
// rows, with every reduction made in block order, so a run is deterministic:
// the same inputs give byte-identical states and results whatever the number of
// workers, and State/Restore continue a run exactly.
//
// Internally a discharge is positive eastwards across x faces and southwards
// (towards higher row numbers) across y faces; the velocity accessors report
// east and north components.
package flood
