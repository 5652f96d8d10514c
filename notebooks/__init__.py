"""The chapter sources (jupytext py:percent), shipped inside the package as ``mscreport._chapters``.

Not imported: ``mscreport.core.paths`` finds this folder with importlib.resources, so an installed
mscreport runs its chapters from any directory. The chapters are the ``NN_name.py`` files.
"""
