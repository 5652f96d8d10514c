"""The build: chapters executed by papermill in worker processes, rendered to HTML, installed in the output folder."""
