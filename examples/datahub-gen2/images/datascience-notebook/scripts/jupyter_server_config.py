# Appended to /etc/jupyter/jupyter_server_config.py by the Dockerfile.
c = get_config()  # noqa: F821 (provided by Jupyter)

c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-l"]}
c.FileContentsManager.delete_to_trash = False
c.ResourceUseDisplay.track_cpu_percent = True
c.ResourceUseDisplay.mem_warning_threshold = 0.1
