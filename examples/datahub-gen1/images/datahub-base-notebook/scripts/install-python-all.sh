#!/bin/bash
# Python extensions every DataHub image has. Run as jovyan by the Dockerfile.
set -euo pipefail

pip install --no-cache-dir \
    nbgitpuller==0.9.0 \
    nbresuse==0.4.0 \
    jupyter-server-proxy==3.0.2 \
    ipywidgets==7.6.3

jupyter serverextension enable --py nbgitpuller --sys-prefix
jupyter nbextension enable --py widgetsnbextension --sys-prefix
jupyter serverextension enable --py nbresuse --sys-prefix
jupyter nbextension install --py nbresuse --sys-prefix
jupyter nbextension enable --py nbresuse --sys-prefix
