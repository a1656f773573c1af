#!/bin/sh
# As the official nginx image's entrypoint: runs the command as given (no template processing here).
set -e
exec "$@"
