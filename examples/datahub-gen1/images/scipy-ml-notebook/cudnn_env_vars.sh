# Sourced at login: cuDNN from conda (TensorFlow looks for it by name).
export CUDNN_PATH=/opt/conda
