"""The JSON Schema of results.json (results.schema.json), shipped inside the package as
``mscreport._docs`` (found by ``mscreport.core.paths`` with importlib.resources; read by
``mscreport.results_schema()``). The other documents here are not shipped."""
