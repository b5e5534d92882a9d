#!/bin/bash
# Makes the profile snippets apply to kernels started by Jupyter, not only to
# login shells.
for f in /etc/datahub-profile.d/*.sh; do
    . "$f"
done
mkdir -p /opt/conda/etc/conda/activate.d
cat /etc/datahub-profile.d/*.sh > /opt/conda/etc/conda/activate.d/datahub-cuda.sh
