#!/bin/bash
# Python extensions every DataHub image has. Run as jovyan by the Dockerfile.
set -euo pipefail

pip install --no-cache-dir \
    nbgitpuller==1.2.1 \
    jupyter-resource-usage==1.0.2 \
    ipywidgets==8.1.2 \
    jupyterlab-git==0.50.0 \
    jupyterlab-github==4.0.0 \
    jupyterlab-latex==4.0.0

jupyter server extension enable --py nbgitpuller --sys-prefix
