//go:build tools

// The upstream command this module builds (see ../../build.ts).
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
