# Appended to /etc/jupyter/jupyter_notebook_config.py by the Dockerfile.
# DataHub runs behind JupyterHub's proxy; users get files, not a token prompt.
c = get_config()  # noqa: F821 (provided by Jupyter)

c.NotebookApp.allow_origin = "*"
c.NotebookApp.terminado_settings = {"shell_command": ["/bin/bash", "-l"]}
c.FileContentsManager.delete_to_trash = False
c.ResourceUseDisplay.track_cpu_percent = True
