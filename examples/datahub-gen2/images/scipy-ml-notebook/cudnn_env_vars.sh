# Sourced at login: the cuDNN that pip installed (TensorFlow looks for it).
CUDNN_PATH=$(dirname "$(python -c 'import nvidia.cudnn; print(nvidia.cudnn.__file__)')")
export CUDNN_PATH
export LD_LIBRARY_PATH=${CUDNN_PATH}/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
