package datasets

import (
	"os"
	"path/filepath"
)

// SharedDir finds the project's shared data: the folder "shared" (holding
// datasets/ and tsbs/) beside the repository, looked for from the working
// directory upwards, as tests and benchmarks run from anywhere in the tree.
func SharedDir() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		cand := filepath.Join(dir, "shared")
		if st, err := os.Stat(filepath.Join(cand, "datasets")); err == nil && st.IsDir() {
			return cand, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// SharedPath is the path of rel in the shared data, "" when there is none.
func SharedPath(rel string) string {
	dir, ok := SharedDir()
	if !ok {
		return ""
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
