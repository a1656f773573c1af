module devlane.dev/demo/stock

go 1.22
