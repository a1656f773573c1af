//go:build tools

// The upstream command this module builds (see ../../build.ts).
package tools

import _ "go.etcd.io/etcd/server/v3"
