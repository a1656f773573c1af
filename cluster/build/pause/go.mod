// The pod sandbox ("pause") image's program: containerd's CRI needs one locally, and none can be pulled.
module devlane.dev/cluster/pause

go 1.26.0
