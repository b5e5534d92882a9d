#!/bin/bash
# Run by the image's start script before Jupyter starts: code-server keeps its
# extensions in the user's home so they survive a restart of the server.
mkdir -p "${HOME}/.local/share/code-server/extensions"
