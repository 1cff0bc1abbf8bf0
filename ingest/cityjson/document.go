package cityjson

// docJSON is a CityJSON document, a CityJSONSeq header, or a CityJSONFeature
// (which has "id", "CityObjects" and "vertices" only), as read by
// scanner.doc. Raw []byte fields are sub-slices of the input.
type docJSON struct {
	Type              string
	Version           string
	ID                string
	Transform         *transformJSON
	Metadata          map[string]any
	CityObjects       map[string]*objectJSON
	Vertices          []byte
	GeometryTemplates *templatesJSON
}

type transformJSON struct {
	Scale     [3]float64
	Translate [3]float64
}

type objectJSON struct {
	Type       string
	Attributes map[string]any
	Parents    []string
	Children   []string
	Geometry   []geomJSON

	pre []prebuilt // see prebuilder
}

type geomJSON struct {
	Type                 string
	LoD                  []byte
	Boundaries           []byte
	Semantics            *semanticsJSON
	Template             *int
	TransformationMatrix []float64
}

type semanticsJSON struct {
	Surfaces []map[string]any
	Values   []byte
}

type templatesJSON struct {
	Templates         []geomJSON
	VerticesTemplates [][]float64
}
