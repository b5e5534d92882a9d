#!/bin/sh
# Stand-in for the notebook server's start script of the real images.
echo "Jupyter ${JUPYTERHUB_VERSION} for ${NB_USER} (Python ${PYTHON_VERSION}); sample image, no server"
exec sleep infinity
