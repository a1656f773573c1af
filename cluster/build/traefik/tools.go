//go:build tools

// The upstream command this module builds (see ../../build.ts).
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
