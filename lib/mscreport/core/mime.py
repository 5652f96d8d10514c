"""The MIME type of a chapter's result record: its own light module, so that rendering (in the
build's workers) does not import the analysis stack (pandas, IPython, the statistics)."""

RESULT_MIME = "application/vnd.mscreport.result+json"
