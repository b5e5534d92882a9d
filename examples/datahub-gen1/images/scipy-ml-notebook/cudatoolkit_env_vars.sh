# Sourced at login: the conda cudatoolkit's libraries, then the node's driver.
export LD_LIBRARY_PATH=/opt/conda/lib:/usr/local/nvidia/lib:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export XLA_FLAGS=--xla_gpu_cuda_data_dir=/opt/conda
