package ifc_test

import (
	"context"
	"fmt"
	"strings"

	"citytwin/ingest/ifc"
)

func ExampleDecode() {
	src := `ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('tiny.ifc','2024-01-01T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC4'));
ENDSEC;
DATA;
#1=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#2=IFCUNITASSIGNMENT((#1));
#7=IFCPROJECT('p',$,'Demo',$,$,$,$,$,#2);
#11=IFCSITE('s',$,'Site',$,$,$,$,$,.ELEMENT.,(49,0,0,0),(8,24,0,0),115.,$,$);
#23=IFCBUILDING('b',$,'Hut',$,$,$,$,$,.ELEMENT.,$,$,$);
#25=IFCRELAGGREGATES('r',$,$,$,#11,(#23));
#31=IFCBUILDINGSTOREY('st',$,'Ground floor',$,$,$,$,$,.ELEMENT.,0.);
#36=IFCRELAGGREGATES('r2',$,$,$,#23,(#31));
ENDSEC;
END-ISO-10303-21;
`
	res, err := ifc.Decode(context.Background(), strings.NewReader(src), ifc.Options{Name: "tiny.ifc"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range res.Ops {
		fmt.Println(op.Entity.Kind, op.Entity.ID, op.Entity.Geometry, op.Entity.Provenance[0].Note)
	}
	// Output:
	// building ifc:b [8.4 49] tiny.ifc #23
	// storey ifc:st [8.4 49] tiny.ifc #31
}
