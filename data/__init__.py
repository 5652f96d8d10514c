"""The bundled cohort and the paper's published figures, shipped inside the package as
``mscreport._data`` (found by ``mscreport.paths`` with importlib.resources). See README.md here."""
